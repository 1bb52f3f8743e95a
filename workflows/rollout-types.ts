import type { InsecureGate } from '../config/insecure-opt-out';
import type { CommitInfo, ReconcileOutcome } from './reconcile-types';

export interface WavePlan {
  name: string;
  clusters: string[];
  maxUnavailable: number | string;
  soakSeconds: number;
  approval: boolean;
  windows: string[];
  pickupTimeoutSeconds: number;
  /** Absent from plans recorded before the reconcile deadline existed. */
  reconcileTimeoutSeconds?: number;
}

/** What the policy gates found; absent from plans recorded before the image gates. */
export interface GateSummary {
  /** The commit's signer; absent when the repo opts out of signatures (or, in plans recorded before that, has no signers). */
  commitSigner?: string;
  /** Images verified; absent when the repo opts out of the image gates (or, before that, had no image policy). */
  images?: number;
  imageSigners?: string[];
  /** Gates the commit passed only because policies/lucid.yaml opts out of them; absent when none. */
  insecure?: InsecureGate[];
}

/** How a wave's clusters are split into rolloutBatch workflows: policies/limits.yaml `rollout`. */
export interface RolloutBatching {
  batchClusters: number;
  batchesAtOnce: number;
}

export interface RolloutPlan {
  commit: CommitInfo;
  /** Absent from plans recorded before the wave and batch workflows. */
  batching?: RolloutBatching;
  gates?: GateSummary;
  waves: WavePlan[];
  /** Each cluster's last good commit when the rollout was planned: where a halted wave goes back to. */
  lastGood: Record<string, string | undefined>;
  driftCheckSeconds: number;
}

export type RolloutState = 'running' | 'waiting' | 'succeeded' | 'halted' | 'aborted';
/** `stopped`: an abort or supersede came while the wave ran; its batches not yet started never ran. */
export type WaveState = 'pending' | 'waiting' | 'running' | 'soaking' | 'healthy' | 'halted' | 'stopped' | 'skipped';
export type ClusterState = 'pending' | 'reconciling' | 'unreachable' | 'reverted' | ReconcileOutcome;

export interface ClusterProgress {
  id: string;
  state: ClusterState;
  /** The commit the cluster runs as far as this rollout knows. */
  commit: string | null;
  healthy: boolean;
}

export interface WaveProgress {
  name: string;
  state: WaveState;
  /** Every cluster of a small wave; of a large one (run in batches), only the first bad ones once it ran. */
  clusters: ClusterProgress[];
  /** The wave's size and clusters per state, once its batches reported; absent from inline waves. */
  total?: number;
  counts?: Partial<Record<ClusterState, number>>;
}

export interface Approval {
  wave: string;
  by: string;
  at: string;
}

export interface RolloutStatus {
  commit: string;
  state: RolloutState;
  /** Why the rollout waits, while it waits. */
  waitingFor?: string;
  waves: WaveProgress[];
  reasons: string[];
  approvals: Approval[];
  paused: boolean;
  trigger?: RolloutTrigger;
  startedAt: string;
  endedAt?: string;
  /**
   * The commit could not be fetched while the rollout waited for it: nothing was applied and
   * nothing was marked bad, so the next trigger for the commit starts the rollout again.
   */
  commitMissing?: boolean;
  /** Gates the commit passed only by the policies/lucid.yaml opt-out (empty: none); absent until its gates passed. */
  insecure?: InsecureGate[];
}

export interface RolloutTrigger {
  /** `retry`: an operator's explicit second run of a halted or aborted rollout, the only act that clears a bad mark. */
  source: 'cli' | 'webhook' | 'poll' | 'breakglass' | 'retry';
  by?: string;
  reason?: string;
}

export interface RolloutInput {
  commit: string;
  trigger?: RolloutTrigger;
  /** An emergency rollout: one wave for the whole fleet, no soak, windows or approvals; every gate still applies. */
  breakglass?: { signature: string; expiresAt: string };
  /** How long to keep fetching a commit that a trigger named but the repo does not show yet (default 600). */
  commitWaitSeconds?: number;
}

export interface OperatorAction {
  by: string;
  reason?: string;
}

/** The rollout workflow's signature, for callers that start it by name without importing workflow code. */
export type RolloutWorkflow = (input: RolloutInput) => Promise<RolloutStatus>;
