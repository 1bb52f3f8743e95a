import { ActivityCancellationType, CancellationScope, isCancellation, ParentClosePolicy, patched, proxyActivities, startChild, workflowInfo } from '@temporalio/workflow';
import type { AnchorControlActivities } from '../activities/control/anchor-activities';
import { rootCause } from './failure-cause';
import type { ControlActivities } from '../activities/control/control-activities';
import type { NodeActivities } from '../activities/node/node-activities';
import type { SessionInput, SessionResult } from './session-types';
import { replicateSession } from './replicate-session';
import { recordingSealedSignal } from './replication-types';
import { nodeQueue, replicationWorkflowId } from './task-queues';

const control = proxyActivities<ControlActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});
const anchoring = proxyActivities<AnchorControlActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

/**
 * session-<id> (SPEC-4 node-worker): records on the node's own queue until the
 * duration limit or a cancel, then writes the manifest. The recording
 * heartbeats every second with a 10 s timeout, so a dead Pi is noticed within
 * seconds and the recording resumes (on the same node, from its journal) once
 * the worker is back. Its chunks are copied to the node's object store by
 * replicate-<id>, which follows the journal while the recording runs and is
 * told the final count once the manifest is stored.
 */
export async function session(input: SessionInput): Promise<SessionResult> {
  const node = proxyActivities<NodeActivities>({
    taskQueue: nodeQueue(input.nodeId),
    startToCloseTimeout: `${input.seconds + 300} seconds`,
    heartbeatTimeout: '10 seconds',
    retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 50 },
    // A cancel lets FFmpeg finish and the last chunks reach the journal before the manifest is read.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
  const startedAt = new Date(workflowInfo().runStartTime).toISOString();
  const deadline = new Date(Date.parse(startedAt) + input.seconds * 1000).toISOString();
  let cancelled = false;
  let failure: unknown;
  // Abandoned when the session closes: the copies catch up on their own time, the session never waits for them.
  // Started outside the session's cancellation, so cancelling a recording does not cancel copying what it kept.
  const replication = patched('replicate-chunks')
    ? await CancellationScope.nonCancellable(() =>
        startChild(replicateSession, {
          workflowId: replicationWorkflowId(input.sessionId),
          args: [{ sessionId: input.sessionId, nodeId: input.nodeId }],
          parentClosePolicy: ParentClosePolicy.ABANDON,
        }),
      )
    : undefined;
  try {
    await node.recordSession({ sessionId: input.sessionId, deadline });
  } catch (err) {
    if (isCancellation(err)) cancelled = true;
    else failure = err;
  }
  // A cancelled or failed session still gets its manifest: what was recorded is kept, not thrown away.
  const result = await CancellationScope.nonCancellable(async () => {
    const recorded = await node.sessionChunks({ sessionId: input.sessionId });
    await control.saveSessionManifest({
      manifest: {
        ...input,
        ...recorded,
        startedAt,
        endedAt: new Date().toISOString(),
        cancelled,
        ...(failure ? { failure: rootCause(failure) } : {}),
      },
    });
    // A stored manifest with something in it is queued to have its root anchored on chain.
    if (recorded.chunks.length > 0 && patched('queue-for-anchoring')) {
      await anchoring.queueForAnchoring({ sessionId: input.sessionId, root: recorded.root });
    }
    await replication?.signal(recordingSealedSignal, { chunks: recorded.chunks.length });
    return { sessionId: input.sessionId, chunks: recorded.chunks.length, bytes: recorded.bytes, root: recorded.root };
  });
  if (failure) throw failure;
  return result;
}
