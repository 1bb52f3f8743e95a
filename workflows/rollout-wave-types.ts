import type { ClusterProgress, ClusterState, RolloutBatching, WavePlan } from './rollout-types';
import type { WaveTimeouts } from './rollout-cluster-steps';

/** A cluster that was down in its wave, and the timeline line that says why. */
export interface BadCluster extends ClusterProgress {
  reason: string;
}

/** reconcile: apply the commit; recheck: probe after the soak; revert: back to the last good commit. */
export type BatchStep = 'reconcile' | 'recheck' | 'revert';

export interface RolloutBatchInput {
  commit: string;
  step: BatchStep;
  wave: WaveTimeouts;
  clusters: ClusterProgress[];
  /** The batch's clusters' last good commits: where a revert goes back to. */
  lastGood: Record<string, string | undefined>;
}

export interface RolloutBatchResult {
  /** Each of the batch's clusters after the step (at most batchClusters of them). */
  clusters: ClusterProgress[];
  /** Clusters that refused the commit or found it unhealthy. */
  faulted: string[];
  /** The first BAD_REPORTED_MAX clusters the step left down, with why. */
  bad: BadCluster[];
}

export interface RolloutWaveInput {
  commit: string;
  /** The rollout that started the wave: told when the wave soaks. */
  rolloutWorkflowId: string;
  wave: WavePlan;
  lastGood: Record<string, string | undefined>;
  batching: RolloutBatching;
}

export interface RolloutWaveResult {
  /** stopped: an abort came before every batch ran, and the clusters that ran stayed within the budget. */
  state: 'healthy' | 'halted' | 'stopped';
  budget: number;
  /** Clusters down when the wave was judged (before any revert). */
  down: number;
  /** The first BAD_REPORTED_MAX of them, as they were judged. */
  bad: BadCluster[];
  /** Some of them refused the commit or found it unhealthy: only then is it marked bad. */
  atFault: boolean;
  counts: Partial<Record<ClusterState, number>>;
  /** Every cluster, when the wave has at most STATUS_CLUSTERS_MAX. */
  clusters?: ClusterProgress[];
}

/** What a rollout batch learns before it applies a commit (beginBatchReconcile). */
export interface BatchReconcileStart {
  /** Each cluster's last good commit (where an unhealthy commit goes back to) and its desired commit before this batch. */
  clusters: Record<string, { lastGood?: string; desired?: string }>;
  /** Clusters already running a reconcile of this commit (an operator's): its workflow id, whose outcome the batch follows. */
  running: Record<string, string>;
}
