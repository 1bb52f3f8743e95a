import { ApplicationFailure } from '@temporalio/common';
import { rootCause } from '../workflows/failure-cause';
import type { ConfigRejection, HealthFailure, HealthReport, PlaneProbeReport, PlannedService, ReconcileResult } from '../workflows/reconcile-types';

/**
 * The cluster-side steps of a reconcile. The reconcileCluster workflow runs
 * them as activities; a rollout batch's applyCommit runs them as plain calls
 * inside one activity on the Pi. Both go through applyWithRollback, so the
 * rules of when to roll back, and to what, are written once.
 */
export interface ApplySteps {
  prepare(commit: string): Promise<PlannedService[]>;
  up(commit: string): Promise<void>;
  waitHealthy(plan: PlannedService[]): Promise<HealthReport>;
  /**
   * One plane probe started beside the health wait, so a cluster that comes up isolated is verified by the time it
   * is healthy (a probe is a third of a second of containers). Undefined: none (histories from before it).
   */
  probeEarly?(): Promise<PlaneProbeReport> | undefined;
  /** After a healthy wait: the plane probe's verdict folded into the report; `early`, the early probe's when it settles it. */
  verify(health: HealthReport, early?: PlaneProbeReport): Promise<HealthReport>;
  /** Told before the rollback starts (a log line). */
  rollingBack?(lastGood: string, failure: HealthFailure | undefined): void;
}

export type AppliedOutcome = Pick<ReconcileResult, 'outcome' | 'appliedCommit' | 'rolledBackTo' | 'failure' | 'services'>;

/** Applies a commit and waits for health and plane isolation; a failed `up`, health wait or probe counts as unhealthy. */
async function applyOnce(steps: ApplySteps, sha: string, plan: PlannedService[]): Promise<HealthReport> {
  try {
    await steps.up(sha);
  } catch (err) {
    return { healthy: false, services: [], failure: { reason: `docker compose up failed: ${rootCause(err)}` } };
  }
  const early = steps.probeEarly?.()?.catch(() => undefined);
  let health: HealthReport;
  try {
    health = await steps.waitHealthy(plan);
  } catch (err) {
    await early;
    return { healthy: false, services: [], failure: { reason: `health wait failed: ${rootCause(err)}` } };
  }
  return steps.verify(health, settledEarly(await early, plan));
}

/**
 * Whether a probe taken while health was awaited decides the plane check: a leak fails at once, whenever it was
 * seen; a clean probe counts only if every planned service was running to be probed. Anything else (a port not
 * answering yet, a service still starting, a probe that failed) leaves it to a full probe after health.
 */
export function settledEarly(early: PlaneProbeReport | undefined, plan: PlannedService[]): PlaneProbeReport | undefined {
  if (!early) return undefined;
  if (early.leaked) return early;
  const running = new Set(early.running ?? []);
  return early.verified && plan.every((s) => running.has(s.name)) ? early : undefined;
}

/**
 * Applies a prepared commit; when it comes up unhealthy, re-applies `lastGood`
 * (unless there is none, or it is the same commit).
 */
export async function applyWithRollback(
  steps: ApplySteps,
  commit: string,
  plan: PlannedService[],
  lastGood: string | undefined,
): Promise<AppliedOutcome> {
  const report = await applyOnce(steps, commit, plan);
  if (report.healthy) return { outcome: 'healthy', appliedCommit: commit, services: report.services };
  if (!lastGood || lastGood === commit) {
    return { outcome: 'failed', appliedCommit: commit, failure: report.failure, services: report.services };
  }
  steps.rollingBack?.(lastGood, report.failure);
  let back: HealthReport;
  // When the last good commit cannot even be prepared, nothing was re-applied: the failed commit still runs.
  let backApplied = true;
  try {
    back = await applyOnce(steps, lastGood, await steps.prepare(lastGood));
  } catch (err) {
    backApplied = false;
    back = { healthy: false, services: [], failure: { reason: `prepare of ${lastGood} failed: ${rootCause(err)}` } };
  }
  if (!back.healthy) {
    return {
      outcome: 'failed',
      appliedCommit: backApplied ? lastGood : commit,
      failure: withRollbackNote(report.failure, back.failure),
      services: back.services,
    };
  }
  return { outcome: 'rolled_back', appliedCommit: lastGood, rolledBackTo: lastGood, failure: report.failure, services: back.services };
}

/** Healthy includes isolated (SPEC-4's "wallet plane isolation verified"): a cluster whose planes leak is rolled back like an unhealthy one. */
export async function withPlaneProbe(
  health: HealthReport,
  probePlanes: () => Promise<PlaneProbeReport>,
  early?: PlaneProbeReport,
): Promise<HealthReport> {
  if (!health.healthy) return health;
  try {
    const probe = early ?? (await probePlanes());
    if (probe.verified) return health;
    return { ...health, healthy: false, failure: { service: probe.service, reason: probe.findings.join('; ') } };
  } catch (err) {
    return { ...health, healthy: false, failure: { reason: `plane probe failed: ${rootCause(err)}` } };
  }
}

function withRollbackNote(failure: HealthFailure | undefined, rollback: HealthFailure | undefined): HealthFailure {
  const reason = `${failure?.reason ?? 'unhealthy'}; rollback to last good also failed: ${rollback?.reason ?? 'unknown'}`;
  return { ...failure, reason };
}

/** The ApplicationFailure of `type` anywhere in an error's cause chain (an activity's failure wraps it; a plain call does not). */
export function failureOfType(err: unknown, type: string): ApplicationFailure | undefined {
  let cur: unknown = err;
  while (cur instanceof Error) {
    if (cur instanceof ApplicationFailure && cur.type === type) return cur;
    cur = cur.cause;
  }
  return undefined;
}

/** What the gates said of a refused commit, when that is why it failed. */
export function configRejection(err: unknown): ConfigRejection | undefined {
  const f = failureOfType(err, 'ConfigError');
  if (!f) return undefined;
  return (f.details?.[0] as ConfigRejection | undefined) ?? { file: '?', field: '?', reason: f.message };
}
