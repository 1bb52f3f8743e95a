import type { Client } from '@temporalio/client';
import { ensureAnchorIndexer } from './anchor-indexer';
import { queueForAnchorSignal } from '../workflows/anchor-messages';
import type { AnchorBatchWorkflow, AnchorBatcherWorkflow, AnchorRequest, BatcherSettings, SealedBatch } from '../workflows/anchor-types';
import { ANCHOR_BATCHER_ID, CONTROL_QUEUE, anchorBatchWorkflowId } from '../workflows/task-queues';

/**
 * Queues a stored session's root for anchoring: signal-with-start, so the
 * first session starts the batcher; the event indexer is started with it.
 */
export async function queueForAnchoring(client: Client, request: AnchorRequest, settings: BatcherSettings): Promise<void> {
  await client.workflow.signalWithStart<AnchorBatcherWorkflow, [AnchorRequest]>('anchorBatcher', {
    workflowId: ANCHOR_BATCHER_ID,
    taskQueue: CONTROL_QUEUE,
    args: [{ settings }],
    signal: queueForAnchorSignal,
    signalArgs: [request],
  });
  await ensureAnchorIndexer(client);
}

/**
 * Runs a sealed batch's anchor workflow again (the chain lost its block, or an
 * operator fixed what made the chain refuse it); a run already going is left to finish.
 */
export async function startAnchorBatch(client: Client, batch: SealedBatch, confirmations: number): Promise<string> {
  const workflowId = anchorBatchWorkflowId(batch.batchId);
  await client.workflow.start<AnchorBatchWorkflow>('anchorBatch', {
    taskQueue: CONTROL_QUEUE,
    workflowId,
    args: [{ batch, confirmations }],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  return workflowId;
}
