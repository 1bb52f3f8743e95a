import { type ActivityOptions, ApplicationFailure, log, patched, proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { ClusterActivities } from '../activities/cluster/cluster-activities';
import type { ControlActivities } from '../activities/control/control-activities';
import { clusterId as checkClusterId, fullSha } from '../common/input-ids';
import { rootCause } from './failure-cause';
import { refuseMalformedInput } from './input-guard';
import { SEARCH_ATTRIBUTES as SA } from './search-attributes';
import { CONTROL_QUEUE, clusterQueue } from './task-queues';
import type {
  ConfigRejection,
  HealthFailure,
  HealthReport,
  PlannedService,
  ReconcileInput,
  ReconcileResult,
} from './reconcile-types';

const DEFAULT_HEALTH_TIMEOUT_SECONDS = 120;

/**
 * On the cluster's own queue, named even when the workflow runs there too: the
 * workflow may run on the shared reconcile queue, the work only on the Pi.
 */
function clusterActivities(clusterId: string, healthTimeoutSeconds: number) {
  const onCluster = (options: ActivityOptions) => proxyActivities<ClusterActivities>({ ...options, taskQueue: clusterQueue(clusterId) });
  // They heartbeat, so a worker that dies in the middle (in a hung `git fetch`) is retried within seconds, not minutes.
  const { fetchCommit, prepareCommit } = onCluster({
    startToCloseTimeout: '2 minutes',
    heartbeatTimeout: '10 seconds',
    retry: { maximumAttempts: 5, initialInterval: '1s', maximumInterval: '20s', nonRetryableErrorTypes: ['ConfigError', 'UnknownCommit'] },
  });
  return {
    fetchCommit,
    prepareCommit,
    composeUp: onCluster({ startToCloseTimeout: '10 minutes', heartbeatTimeout: '20 seconds', retry: { maximumAttempts: 3, initialInterval: '2s' } }).composeUp,
    waitHealthy: onCluster({
      startToCloseTimeout: `${healthTimeoutSeconds + 60} seconds`,
      heartbeatTimeout: '15 seconds',
      retry: { maximumAttempts: 3, initialInterval: '1s' },
    }).waitHealthy,
    // One short container per service, connects of a second each; a probe that cannot run verifies nothing.
    probePlanes: onCluster({ startToCloseTimeout: '2 minutes', heartbeatTimeout: '10 seconds', retry: { maximumAttempts: 3, initialInterval: '2s' } })
      .probePlanes,
  };
}

// Control-plane bookkeeping never gives up: a MongoDB outage delays the record, it does not lose it.
const control = proxyActivities<ControlActivities>({
  taskQueue: CONTROL_QUEUE,
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

/**
 * Converges one cluster to one commit of the config repo, and when the commit
 * comes up unhealthy re-applies the cluster's last good commit.
 */
export async function reconcileCluster(input: ReconcileInput): Promise<ReconcileResult> {
  refuseMalformedInput('reconcileCluster', () => {
    checkClusterId('clusterId', input.clusterId);
    fullSha('commit', input.commit);
    if (typeof input.rollbackTo === 'string') fullSha('rollbackTo', input.rollbackTo);
  });
  const { clusterId, commit } = input;
  const startedAt = new Date().toISOString();
  const healthTimeoutSeconds = input.healthTimeoutSeconds ?? DEFAULT_HEALTH_TIMEOUT_SECONDS;
  const { fetchCommit, prepareCommit, composeUp, waitHealthy, probePlanes } = clusterActivities(clusterId, healthTimeoutSeconds);

  upsertSearchAttributes([
    { key: SA.commit, value: commit },
    { key: SA.cluster, value: [clusterId] },
  ]);
  // The control-side bookkeeping runs beside the cluster's work instead of before it: two activity round trips fewer on the way to healthy.
  const overlapped = patched('reconcile-bookkeeping-overlapped');
  const fetching = () => settled(fetchCommit({ commit }));
  const [record, fetched] = overlapped
    ? await Promise.all([control.loadClusterRecord({ clusterId }), fetching()])
    : [await control.loadClusterRecord({ clusterId }), await fetching()];
  if ('err' in fetched) {
    // Nothing on the cluster changed; the outcome still lands in history and MongoDB.
    const { err } = fetched;
    const outcome = isFailureType(err, 'UnknownCommit') ? 'invalid' : 'failed';
    return finish({ outcome, appliedCommit: record.appliedCommit, failure: { reason: `fetch failed: ${rootCause(err)}`, stage: 'fetch' }, services: [] });
  }
  log.info('reconcile start', { clusterId, commit, author: fetched.value.author, subject: fetched.value.subject });
  const desiredRecorded = control.recordDesired({ clusterId, commit });
  if (!overlapped) await desiredRecorded;

  async function finish(result: Omit<ReconcileResult, 'clusterId' | 'commit'>): Promise<ReconcileResult> {
    const full: ReconcileResult = { clusterId, commit, ...result };
    upsertSearchAttributes([{ key: SA.outcome, value: full.outcome }]);
    const { workflowId, runId } = workflowInfo();
    await control.recordReconcile({ result: full, workflowId, runId, startedAt });
    log.info('reconcile end', { clusterId, commit, outcome: full.outcome, appliedCommit: full.appliedCommit });
    return full;
  }

  /** Applies a commit and waits for health and plane isolation; a failed `up`, health wait or probe counts as unhealthy. */
  const apply = async (sha: string, plan: PlannedService[]): Promise<HealthReport> => {
    try {
      await composeUp({ commit: sha });
    } catch (err) {
      return { healthy: false, services: [], failure: { reason: `docker compose up failed: ${rootCause(err)}` } };
    }
    let health: HealthReport;
    try {
      health = await waitHealthy({ services: plan, timeoutSeconds: healthTimeoutSeconds });
    } catch (err) {
      return { healthy: false, services: [], failure: { reason: `health wait failed: ${rootCause(err)}` } };
    }
    return verifyPlanes(health, probePlanes);
  };

  const preparing = settled(prepareCommit({ commit }));
  // An outcome is recorded only after the desired commit it is about (recordOutcome marks bad commits by it).
  await desiredRecorded;
  const prepared = await preparing;
  if ('err' in prepared) {
    const rejection = configRejection(prepared.err);
    if (!rejection) {
      return finish({ outcome: 'failed', appliedCommit: record.appliedCommit, failure: { reason: `prepare failed: ${rootCause(prepared.err)}`, stage: 'prepare' }, services: [] });
    }
    return finish({ outcome: 'invalid', rejection, appliedCommit: record.appliedCommit, services: [] });
  }

  const report = await apply(commit, prepared.value);
  if (report.healthy) return finish({ outcome: 'healthy', appliedCommit: commit, services: report.services });

  const lastGood = input.rollbackTo === undefined ? record.lastGoodCommit : (input.rollbackTo ?? undefined);
  if (!lastGood || lastGood === commit) {
    return finish({ outcome: 'failed', appliedCommit: commit, failure: report.failure, services: report.services });
  }
  log.warn('commit unhealthy, rolling back', { clusterId, commit, lastGood, failure: report.failure });
  let back: HealthReport;
  // When the last good commit cannot even be prepared, nothing was re-applied: the failed commit still runs.
  let backApplied = true;
  try {
    back = await apply(lastGood, await prepareCommit({ commit: lastGood }));
  } catch (err) {
    backApplied = false;
    back = { healthy: false, services: [], failure: { reason: `prepare of ${lastGood} failed: ${rootCause(err)}` } };
  }
  if (!back.healthy) {
    return finish({
      outcome: 'failed',
      appliedCommit: backApplied ? lastGood : commit,
      failure: withRollbackNote(report.failure, back.failure),
      services: back.services,
    });
  }
  return finish({
    outcome: 'rolled_back',
    appliedCommit: lastGood,
    rolledBackTo: lastGood,
    failure: report.failure,
    services: back.services,
  });
}

/** An activity's outcome as a value, so it can be awaited beside another without an unhandled rejection. */
function settled<T>(p: Promise<T>): Promise<{ value: T } | { err: unknown }> {
  return p.then(
    (value) => ({ value }),
    (err: unknown) => ({ err }),
  );
}

/** Healthy includes isolated (SPEC-4's "wallet plane isolation verified"): a cluster whose planes leak is rolled back like an unhealthy one. */
async function verifyPlanes(health: HealthReport, probePlanes: ClusterActivities['probePlanes']): Promise<HealthReport> {
  if (!health.healthy || !patched('plane-probe')) return health;
  try {
    const probe = await probePlanes();
    if (probe.verified) return health;
    return { ...health, healthy: false, failure: { service: probe.service, reason: probe.findings.join('; ') } };
  } catch (err) {
    return { ...health, healthy: false, failure: { reason: `plane probe failed: ${rootCause(err)}` } };
  }
}

function failureOfType(err: unknown, type: string): ApplicationFailure | undefined {
  let cur: unknown = err;
  while (cur instanceof Error) {
    if (cur instanceof ApplicationFailure && cur.type === type) return cur;
    cur = cur.cause;
  }
  return undefined;
}

function isFailureType(err: unknown, type: string): boolean {
  return failureOfType(err, type) !== undefined;
}

function configRejection(err: unknown): ConfigRejection | undefined {
  const f = failureOfType(err, 'ConfigError');
  if (!f) return undefined;
  return (f.details?.[0] as ConfigRejection | undefined) ?? { file: '?', field: '?', reason: f.message };
}

function withRollbackNote(failure: HealthFailure | undefined, rollback: HealthFailure | undefined): HealthFailure {
  const reason = `${failure?.reason ?? 'unhealthy'}; rollback to last good also failed: ${rollback?.reason ?? 'unknown'}`;
  return { ...failure, reason };
}
