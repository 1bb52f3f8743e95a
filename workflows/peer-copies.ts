import { proxyActivities } from '@temporalio/workflow';
import type { NodeActivities } from '../activities/node/node-activities';
import { rootCause } from './failure-cause';
import type { PeerPlan, PeerProgress, ReplicaListing, ReplicationProgress } from './replication-types';
import { nodeQueue } from './task-queues';

/** How long a peer may take to pick its copying up before this round counts it as away (its lag shows meanwhile). */
const PEER_PICKUP = '1 minute';

/**
 * Has each peer of the plan pull the session's journaled chunks from the origin's chunk host, on the peer's own
 * queue: the bytes go host to host, only counts come back. A peer that is away or fails comes back as a failure
 * of this round, so the others and the object store go on.
 */
export async function copyToPeers(sessionId: string, origin: string, plan: PeerPlan): Promise<PeerProgress[]> {
  return Promise.all(
    plan.peers.map(async (peer) => {
      const node = proxyActivities<NodeActivities>({
        taskQueue: nodeQueue(peer),
        scheduleToStartTimeout: PEER_PICKUP,
        startToCloseTimeout: '30 minutes',
        heartbeatTimeout: '30 seconds',
        retry: { initialInterval: '2s', maximumInterval: '1 minute', maximumAttempts: 3 },
      });
      try {
        return await node.holdPeerCopies({ sessionId, origin, host: plan.host });
      } catch (err) {
        return { journaled: 0, replicated: 0, written: 0, failure: `peer ${peer}, holding session ${sessionId} for ${origin}: ${rootCause(err)}` };
      }
    }),
  );
}

/**
 * The session's replication as one progress: the chunks every copy has (the object store's when there is one,
 * each peer's), the first failure of any. So /metrics' lag is the lag of the copy furthest behind.
 */
export function combinedProgress(s3: ReplicationProgress, held: PeerProgress[]): ReplicationProgress {
  const counts = [...(s3.target ? [s3.replicated] : []), ...held.map((h) => h.replicated)];
  const failure = [s3.failure, ...held.map((h) => h.failure)].find((f) => f !== undefined);
  const { failure: _, ...rest } = s3;
  return { ...rest, replicated: Math.min(...counts), written: s3.written + held.reduce((n, h) => n + h.written, 0), ...(failure && { failure }) };
}

/** The copies to list in the manifest once every one has the whole recording: the object store's, then each peer's. */
export function replicaListings(s3: ReplicationProgress, held: PeerProgress[], plan: PeerPlan | undefined, chunks: number): ReplicaListing[] {
  const peers = (plan?.peers ?? []).map((nodeId, i) => ({ kind: 'peer' as const, nodeId, host: held[i]!.host!, chunks }));
  return [...(s3.target ? [{ ...s3.target, chunks }] : []), ...peers];
}
