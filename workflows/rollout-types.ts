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
  /** The commit's signer; absent when the repo has no allowed-signers file. */
  commitSigner?: string;
  /** Images verified; absent when the repo has no image policy. */
  images?: number;
  imageSigners?: string[];
}

export interface RolloutPlan {
  commit: CommitInfo;
  gates?: GateSummary;
  waves: WavePlan[];
  /** Each cluster's last good commit when the rollout was planned: where a halted wave goes back to. */
  lastGood: Record<string, string | undefined>;
  driftCheckSeconds: number;
}

export type RolloutState = 'running' | 'waiting' | 'succeeded' | 'halted' | 'aborted';
export type WaveState = 'pending' | 'waiting' | 'running' | 'soaking' | 'healthy' | 'halted' | 'skipped';
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
  clusters: ClusterProgress[];
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
}

export interface RolloutTrigger {
  source: 'cli' | 'webhook' | 'poll' | 'breakglass';
  by?: string;
}

export interface RolloutInput {
  commit: string;
  trigger?: RolloutTrigger;
  /** An emergency rollout: one wave for the whole fleet, no soak, windows or approvals; every gate still applies. */
  breakglass?: { signature: string; expiresAt: string };
}

export interface OperatorAction {
  by: string;
  reason?: string;
}
