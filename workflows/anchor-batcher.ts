import { condition, continueAsNew, executeChild, patched, proxyActivities, setHandler } from '@temporalio/workflow';
import type { AnchorControlActivities } from '../activities/control/anchor-activities';
import { anchorBatch } from './anchor-batch';
import { rootCause } from './failure-cause';
import { batcherStatusQuery, queueForAnchorSignal } from './anchor-messages';
import { BATCHES_PER_BATCHER_RUN, type AnchorRequest, type BatcherInput, type BatcherStatus } from './anchor-types';
import { anchorBatchWorkflowId } from './task-queues';


const control = proxyActivities<AnchorControlActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

/**
 * anchor-batcher: collects stored sessions' roots (signal-with-start) and
 * anchors them in batches, one transaction each, one batch at a time so the
 * chain key's nonces never race.
 */
export async function anchorBatcher(input: BatcherInput): Promise<void> {
  const { maxBatch, maxWaitSeconds } = input.settings;
  const pending: AnchorRequest[] = [...(input.pending ?? [])];
  const status: BatcherStatus = { pending: pending.length, batchesThisRun: 0 };
  // When each waiting session arrived (workflow time); those carried over from the last run, when this one started.
  const arrived = new Map<string, number>(pending.map((p) => [p.sessionId, Date.now()]));
  setHandler(queueForAnchorSignal, (r) => {
    if (!pending.some((p) => p.sessionId === r.sessionId)) {
      pending.push(r);
      arrived.set(r.sessionId, Date.now());
    }
    status.pending = pending.length;
  });
  setHandler(batcherStatusQuery, () => status);

  while (status.batchesThisRun < BATCHES_PER_BATCHER_RUN) {
    await condition(() => pending.length > 0);
    if (patched('anchor-wait-from-first-arrival')) {
      // maxWait counts from the oldest waiting session's arrival: one that came while the last batch was being
      // anchored has waited already, and closes its batch as soon as the batcher is free if that was long enough.
      const left = arrived.get(pending[0]!.sessionId)! + maxWaitSeconds * 1000 - Date.now();
      if (pending.length < maxBatch && left > 0) await condition(() => pending.length >= maxBatch, left);
    } else {
      await condition(() => pending.length >= maxBatch, maxWaitSeconds * 1000);
    }
    const taken = pending.splice(0, maxBatch);
    for (const t of taken) arrived.delete(t.sessionId);
    status.pending = pending.length;
    const batch = await control.sealAnchorBatch({ sessions: taken });
    if (!batch) continue; // every session of it was already in a batch
    status.anchoring = batch.batchId;
    await executeChild(anchorBatch, {
      workflowId: anchorBatchWorkflowId(batch.batchId),
      args: [{ batch, confirmations: input.settings.confirmations }],
    }).catch((err: unknown) =>
      // A batch the chain refuses must not stop every later one: it is kept with its reason for `lucid anchor retry`.
      control.recordAnchorFailure({ batchId: batch.batchId, reason: rootCause(err) }),
    );
    status.anchoring = undefined;
    status.batchesThisRun++;
  }
  await continueAsNew<typeof anchorBatcher>({ settings: input.settings, pending });
}
