import { condition, continueAsNew, patched, proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { ControlActivities } from '../activities/control/control-activities';
import type { NodeActivities } from '../activities/node/node-activities';
import { recordingSealedSignal, type ReplicationInput, type ReplicationProgress } from './replication-types';
import { nodeQueue } from './task-queues';
import { combinedProgress, copyToPeers, replicaListings } from './peer-copies';

const control = proxyActivities<ControlActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

/** How often replication looks for newly journaled chunks while the recording runs. */
const FOLLOW_MS = 5000;
/** Until the session says the recording is over, how often replication asks whether it still runs at all. */
const SESSION_CHECK_MS = 30_000;
/** A store that failed is tried again after 2 s, doubling up to a minute. */
const BACKOFF_MS = { first: 2000, max: 60_000 };

/**
 * replicate-<session id>: copies a session's sealed chunks to the node's object store as the recording journals
 * them, and has the node's peers (LUCID_PEER_COPIES) pull them from its chunk host; once the session says the
 * recording is over and every copy has every chunk checked, lists the copies in the manifest. Started by the
 * session and left running when it closes: the recording never waits on the store, and a store that is down only
 * delays this. Each change in how far it is gets recorded, so /metrics shows the
 * node's replication lag while the store is away. A session that closed without saying so (terminated, timed
 * out) leaves its journal as the whole recording: once it stops growing, that is what gets copied, and no
 * manifest is there to list the copy in.
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
  let unsaid = input.sessionClosedUnsaid ?? false;
  const followsSessionEnd = patched('replication-follows-session-end');
  let checkedAt = Date.now();
  let journaledAtClose: number | undefined;
  let recorded = '';
  let backoff = BACKOFF_MS.first;
  for (;;) {
    const s3 = await node.replicateChunks({ sessionId: input.sessionId });
    const plan = s3.peerPlan;
    if (!s3.target && !plan?.peers.length) {
      // Nothing to copy to; the session still signals its end, which must find this workflow open (unless it closed unsaid).
      if (!followsSessionEnd) await condition(() => sealed !== undefined);
      else while (!(await condition(() => sealed !== undefined, SESSION_CHECK_MS)) && (await control.sessionRunning({ sessionId: input.sessionId })));
      return s3;
    }
    // Only a node that asks for peer copies has a plan: histories from before them never reach the patch.
    const held = plan?.peers.length && patched('peer-copies') ? await copyToPeers(input.sessionId, input.nodeId, plan) : [];
    const progress = combinedProgress(s3, held);
    if (followsSessionEnd && sealed === undefined && Date.now() - checkedAt >= SESSION_CHECK_MS) {
      checkedAt = Date.now();
      // A session that ended normally signalled before it closed, so its count is here before it reads as closed.
      if (await control.sessionRunning({ sessionId: input.sessionId })) journaledAtClose = undefined;
      else if (journaledAtClose === progress.journaled) [sealed, unsaid] = [progress.journaled, true];
      else {
        // Seen closed: looked at again next round, when a recording cut off by the close has stopped journaling.
        journaledAtClose = progress.journaled;
        checkedAt = 0;
      }
    }
    const done = sealed !== undefined && progress.replicated >= sealed;
    const state = JSON.stringify([progress.journaled, progress.replicated, progress.failure, done]);
    if (state !== recorded) {
      const { journaled, replicated, failure } = progress;
      const { sessionId, nodeId } = input;
      await control.recordReplicationProgress({ sessionId, nodeId, journaled, replicated, done, ...(failure && { failure }) });
      recorded = state;
    }
    if (done) {
      if (sealed! > 0 && !unsaid) {
        for (const replica of replicaListings(s3, held, plan, sealed!)) await control.recordSessionReplica({ sessionId: input.sessionId, replica });
      }
      return progress;
    }
    if (progress.failure) {
      await sleep(backoff);
      backoff = Math.min(backoff * 2, BACKOFF_MS.max);
    } else {
      backoff = BACKOFF_MS.first;
      await condition(() => sealed !== undefined, FOLLOW_MS);
    }
    if (workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof replicateSession>({ ...input, sealed, ...(unsaid && { sessionClosedUnsaid: true }) });
    }
  }
}
