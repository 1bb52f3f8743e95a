/**
 * Task queues and workflow ids: the names every caller shares. Planes become
 * task queues: whoever polls a queue holds the credentials for its work.
 */
export const CONTROL_QUEUE = 'lucid-control';

/** A cluster's own queue: only its Pi's worker polls it, and only for activities. */
export function clusterQueue(clusterId: string): string {
  return `cluster-${clusterId}`;
}

/**
 * Where the per-cluster workflows (reconcile, drift check, observe) run: one
 * queue the control host serves, so a fleet of thousands needs no workflow
 * worker per Pi; their activities still go to the cluster's own queue.
 */
export const RECONCILE_QUEUE = 'lucid-reconcile';

export function rolloutWorkflowId(commit: string): string {
  return `rollout-${commit}`;
}

/**
 * One wave of a rollout (`rollout-<sha>-wave-<name>`), run as its own workflow so the rollout's history does not
 * grow with the fleet. Named after the rollout's id, so a break-glass rollout's waves never meet the normal one's.
 */
export function rolloutWaveWorkflowId(rolloutId: string, wave: string): string {
  return `${rolloutId}-wave-${wave}`;
}

/** One batch of a wave's clusters for one step (reconcile, recheck after the soak, revert). */
export function rolloutBatchWorkflowId(waveWorkflowId: string, step: string, batch: number): string {
  return `${waveWorkflowId}-${step}-batch-${batch}`;
}

export function breakglassWorkflowId(commit: string): string {
  return `breakglass-${commit}`;
}

export function reconcileWorkflowId(clusterId: string, commit: string): string {
  return `reconcile-${clusterId}-${commit}`;
}

/** A halted wave's revert of one cluster to its last good commit. */
export function revertWorkflowId(clusterId: string, commit: string): string {
  return `revert-${clusterId}-${commit}`;
}

/** One id per cluster: a drift sweep never starts a second check while the last one (or its correction) runs. */
export function driftCheckWorkflowId(clusterId: string): string {
  return `drift-${clusterId}`;
}

/** The reconcile a drift check starts to put a cluster back: named after the check that found the drift. */
export function driftCorrectionWorkflowId(driftCheckWorkflowId: string): string {
  return `${driftCheckWorkflowId}-correct`;
}

/** A one-off look at a cluster's containers through its own worker. */
export function observeWorkflowId(clusterId: string, nonce: string): string {
  return `observe-${clusterId}-${nonce}`;
}

/** The chain plane: served only by the worker that holds the anchoring key. */
export const CHAIN_QUEUE = 'chain';

export const ANCHOR_BATCHER_ID = 'anchor-batcher';
export const ANCHOR_INDEXER_ID = 'anchor-indexer';

/** Derived from the batch's contents, so the same sessions can never be anchored under two workflows. */
export function anchorBatchWorkflowId(batchId: string): string {
  return `anchor-${batchId}`;
}

export function nodeQueue(nodeId: string): string {
  return `node-${nodeId}`;
}

export function sessionWorkflowId(sessionId: string): string {
  return `session-${sessionId}`;
}

/** The wallet plane: served only by `lucid worker wallet`, the one process that reads the payout keystore. */
export const WALLET_QUEUE = 'wallet';

/** One workflow per month, whatever starts it (the Schedule or `lucid payout run`): a month is paid once. */
export function payoutWorkflowId(month: string): string {
  return `payout-${month}`;
}

export function payoutDryRunWorkflowId(month: string): string {
  return `payout-dry-run-${month}`;
}

export function payoutBatchWorkflowId(batchId: string): string {
  return `payout-batch-${batchId}`;
}

export const PAYOUT_SCHEDULE_ID = 'monthly-payouts';

/** A session's replication to its node's object store: one per session, so it is never copied twice at once. */
export function replicationWorkflowId(sessionId: string): string {
  return `replicate-${sessionId}`;
}

/** The Schedule (and the id of each run it starts) that checks sessions' copies and repairs the bad ones. */
export const REPLICA_REPAIR_SCHEDULE_ID = 'replica-repair';

/** An operator's proposal, numbered by the console's counter. */
export function proposalWorkflowId(id: number): string {
  return `proposal-${id}`;
}
