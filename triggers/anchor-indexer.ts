import type { Client } from '@temporalio/client';
import type { IndexerInput } from '../workflows/anchor-types';
import { ANCHOR_INDEXER_ID, CONTROL_QUEUE } from '../workflows/task-queues';

type AnchorIndexerWorkflow = (input: IndexerInput) => Promise<void>;

/** The one event indexer of a namespace: started if it is not running, left alone if it is. */
export async function ensureAnchorIndexer(client: Client, input: IndexerInput = { pageSize: 500, idleSeconds: 2 }): Promise<void> {
  await client.workflow.start<AnchorIndexerWorkflow>('anchorIndexer', {
    taskQueue: CONTROL_QUEUE,
    workflowId: ANCHOR_INDEXER_ID,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
}
