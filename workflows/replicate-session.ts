import { condition, continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { ControlActivities } from '../activities/control/control-activities';
import type { NodeActivities } from '../activities/node/node-activities';
import { recordingSealedSignal, type ReplicationInput, type ReplicationProgress } from './replication-types';
import { nodeQueue } from './task-queues';

const control = proxyActivities<ControlActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

/** How often replication looks for newly journaled chunks while the recording runs. */
const FOLLOW_INTERVAL = '5 seconds';

/**
 * replicate-<session id>: copies a session's sealed chunks to the node's object store as the recording journals
 * them, and once the session says the recording is over and every chunk has a checked copy, lists the copy in
 * the manifest. Started by the session and left running when it closes: the recording never waits on the store,
 * and a store that is down only delays this (the activity retries without limit, backing off to a minute).
 */
export async function replicateSession(input: ReplicationInput): Promise<ReplicationProgress> {
  const node = proxyActivities<NodeActivities>({
    taskQueue: nodeQueue(input.nodeId),
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: '30 seconds',
    retry: { initialInterval: '2s', maximumInterval: '1 minute' },
  });
  let sealed = input.sealed;
  setHandler(recordingSealedSignal, ({ chunks }) => void (sealed = chunks));
  for (;;) {
    const progress = await node.replicateChunks({ sessionId: input.sessionId });
    if (!progress.target) return progress;
    if (sealed !== undefined && progress.replicated >= sealed) {
      if (sealed > 0) {
        await control.recordSessionReplica({ sessionId: input.sessionId, replica: { ...progress.target, chunks: sealed } });
      }
      return progress;
    }
    await condition(() => sealed !== undefined, FOLLOW_INTERVAL);
    if (workflowInfo().continueAsNewSuggested) await continueAsNew<typeof replicateSession>({ ...input, sealed });
  }
}
