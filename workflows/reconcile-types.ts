/** Shapes that cross the workflow/activity boundary and land in Temporal history (never secrets). */

export interface CommitInfo {
  sha: string;
  author: string;
  subject: string;
  committedAt: string;
}

export interface PlannedService {
  name: string;
  image: string;
  configHash: string;
}

export interface ServiceStatus {
  name: string;
  image: string;
  state: string;
  health: 'healthy' | 'unhealthy' | 'starting' | 'none' | 'missing';
  commit?: string;
  configHash?: string;
}

export interface HealthFailure {
  service?: string;
  reason: string;
  lastHealthLog?: string;
  /** Set when the commit never reached the cluster (its fetch or preparation failed): not the commit's fault. */
  stage?: 'fetch' | 'prepare';
}

export interface HealthReport {
  healthy: boolean;
  services: ServiceStatus[];
  failure?: HealthFailure;
}

/** What the plane probe found on the running cluster: SPEC-4's "wallet plane isolation verified". */
export interface PlaneProbeReport {
  verified: boolean;
  /** "plane leak: metrics (ops) reached walletd (wallet) on 8080", "plane unreachable: ..." */
  findings: string[];
  /** The first service a finding names, for the health failure. */
  service?: string;
  /** Connections tried. */
  probes: number;
  /** A connect that must fail succeeded: a leak, whenever the probe ran. */
  leaked?: boolean;
  /** The services whose containers ran when it probed (each probed from its own namespace). */
  running?: string[];
}

/** How long a reconcile waits for its services to turn healthy unless told otherwise. */
export const DEFAULT_HEALTH_TIMEOUT_SECONDS = 120;

export type ReconcileOutcome = 'healthy' | 'rolled_back' | 'failed' | 'invalid';

export interface ReconcileInput {
  clusterId: string;
  /** Full sha; the console resolves refs before starting, so the workflow id is deterministic. */
  commit: string;
  healthTimeoutSeconds?: number;
  /**
   * Where to go when the commit comes up unhealthy: by default the cluster's
   * last good commit; null for none (a revert must not "roll back" to the
   * commit it is reverting).
   */
  rollbackTo?: string | null;
}

export interface ConfigRejection {
  file: string;
  field: string;
  reason: string;
}

export interface ReconcileResult {
  clusterId: string;
  commit: string;
  outcome: ReconcileOutcome;
  /** The commit the cluster runs when the workflow ends. */
  appliedCommit?: string;
  rolledBackTo?: string;
  failure?: HealthFailure;
  rejection?: ConfigRejection;
  services: ServiceStatus[];
}

export interface ClusterRecord {
  id: string;
  desiredCommit?: string;
  appliedCommit?: string;
  lastGoodCommit?: string;
  badCommits: string[];
}

export interface DriftProblem {
  service: string;
  problem: string;
}

/** One drift Schedule's run: a shard of the fleet. */
/** What a drift check holds a cluster on. */
export interface DriftTarget {
  /** The cluster's last good commit; absent when it is not checked now, and `skipped` says why. */
  commit?: string;
  skipped?: string;
}

export interface DriftSweepInput {
  clusters: string[];
}

export interface DriftSweepResult {
  /** Checks that finished within the sweep, drifted or not. */
  checked: number;
  /** `<cluster> (<outcome of the correction>)`. */
  corrected: string[];
  /** A previous check (or its correction) was still running. */
  busy: string[];
  /** Started but not done when the sweep stopped waiting: an offline Pi, or a long correction. */
  pending: string[];
  failed: string[];
}

export interface DriftResult {
  clusterId: string;
  /** The commit the cluster is held on, when there is one to hold it on. */
  commit?: string;
  problems: DriftProblem[];
  corrected?: ReconcileOutcome;
  skipped?: string;
}
