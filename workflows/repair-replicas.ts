import { patched, proxyActivities, workflowInfo, type ActivityOptions } from '@temporalio/workflow';
import type { ControlActivities } from '../activities/control/control-activities';
import type { NodeActivities } from '../activities/node/node-activities';
import { rootCause } from './failure-cause';
import type { ChunkRepair, CopyCheckDue, RepairInput, RepairSummary } from './replication-types';
import { nodeQueue } from './task-queues';

const control = proxyActivities<ControlActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

/**
 * A run's budget when its Schedule names none. Each chunk checked is read whole from the store and from the node's
 * disk: 250 chunks of 8 MiB are 2 GiB of each per run, hourly by default, on a Pi's link.
 */
const DEFAULT_MAX_CHUNKS = 250;
/** Sessions checked at once, on whichever nodes hold them. */
const AT_ONCE = 4;

/**
 * Run by the `replica-repair` Schedule: checks the copies of the sessions checked least recently (within a chunk
 * budget), each on its own node, which holds the node's copy and the store's keys, then on each peer that holds
 * copies of it, and repairs a bad copy from a good one. Every repair, and every chunk without a good copy, is an
 * incident of its session. A node that does not pick its check up in time, or whose store fails, is skipped this
 * run and comes first the next.
 */
export async function repairReplicas(input: RepairInput = {}): Promise<RepairSummary> {
  const due = await control.sessionsDueForCopyCheck({ maxChunks: input.maxChunks ?? DEFAULT_MAX_CHUNKS });
  const summary: RepairSummary = { sessions: 0, chunks: 0, rewritten: 0, restored: 0, lost: 0, skipped: [] };
  let next = 0;
  const lane = async () => {
    while (next < due.length) await checkOne(due[next++]!, input.pickupSeconds ?? 300, summary);
  };
  await Promise.all(Array.from({ length: Math.min(AT_ONCE, due.length) }, lane));
  return summary;
}

async function checkOne(s: CopyCheckDue, pickupSeconds: number, summary: RepairSummary): Promise<void> {
  const node = proxyActivities<NodeActivities>({ ...checkOptions(pickupSeconds), taskQueue: nodeQueue(s.nodeId) });
  let report;
  try {
    report = await node.repairCopies({ sessionId: s.sessionId, leaves: s.leaves, ...(s.peers && { peers: s.peers }) });
  } catch (err) {
    summary.skipped.push({ sessionId: s.sessionId, nodeId: s.nodeId, reason: rootCause(err) });
    return;
  }
  if (!report.target && !s.peers) {
    summary.skipped.push({ sessionId: s.sessionId, nodeId: s.nodeId, reason: `node ${s.nodeId} has no object store configured` });
    return;
  }
  // Only sessions whose manifest lists peer copies have peers: histories from before them never reach the patch.
  if (s.peers && patched('peer-copy-repair')) {
    for (const peer of s.peers) report.repairs.push(...(await repairOnPeer(s, peer.nodeId, report.host, pickupSeconds, summary)));
  }
  const { workflowId, runId } = workflowInfo();
  await control.recordCopyCheck({ check: `${workflowId}/${runId}`, nodeId: s.nodeId, report });
  summary.sessions += 1;
  summary.chunks += report.checked;
  for (const r of report.repairs) {
    if (r.kind === 'replica-rewritten' || r.kind === 'peer-rewritten') summary.rewritten += 1;
    else if (r.kind === 'local-restored') summary.restored += 1;
    else summary.lost += 1;
  }
}

/**
 * After the origin's check (which made its own copy good wherever any copy was), the peer checks what it holds and
 * fetches a bad copy again from the origin's chunk host. A peer away, or an origin without a host, is a skip.
 */
async function repairOnPeer(
  s: CopyCheckDue,
  peer: string,
  host: string | undefined,
  pickupSeconds: number,
  summary: RepairSummary,
): Promise<ChunkRepair[]> {
  if (!host) {
    const reason = `node ${s.nodeId} runs no chunk host (LUCID_CHUNK_HOST_LISTEN) for peer ${peer} to fetch from`;
    summary.skipped.push({ sessionId: s.sessionId, nodeId: peer, reason });
    return [];
  }
  const node = proxyActivities<NodeActivities>({ ...checkOptions(pickupSeconds), taskQueue: nodeQueue(peer) });
  try {
    return (await node.repairHeldCopies({ sessionId: s.sessionId, origin: s.nodeId, host, leaves: s.leaves })).repairs;
  } catch (err) {
    summary.skipped.push({ sessionId: s.sessionId, nodeId: peer, reason: rootCause(err) });
    return [];
  }
}

function checkOptions(pickupSeconds: number): ActivityOptions {
  return {
    scheduleToStartTimeout: `${pickupSeconds} seconds`,
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: '1 minute',
    retry: { initialInterval: '5s', maximumInterval: '1 minute', maximumAttempts: 3 },
  };
}
