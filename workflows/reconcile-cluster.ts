import { type ActivityOptions, log, patched, proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { ClusterActivities } from '../activities/cluster/cluster-activities';
import type { ControlActivities } from '../activities/control/control-activities';
import { clusterId as checkClusterId, fullSha } from '../common/input-ids';
import { type ApplySteps, applyWithRollback, configRejection, failureOfType, withPlaneProbe } from '../common/apply-with-rollback';
import { rootCause } from './failure-cause';
import { refuseMalformedInput } from './input-guard';
import { SEARCH_ATTRIBUTES as SA } from './search-attributes';
import { CONTROL_QUEUE, clusterQueue } from './task-queues';
import { DEFAULT_HEALTH_TIMEOUT_SECONDS, type PlannedService, type ReconcileInput, type ReconcileResult } from './reconcile-types';

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
    // Beside the health wait: one try, since the probe after health stands in for any that does not settle it.
    probePlanesEarly: onCluster({ startToCloseTimeout: '1 minute', heartbeatTimeout: '10 seconds', retry: { maximumAttempts: 1 } }).probePlanes,
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
  const { fetchCommit, prepareCommit, composeUp, waitHealthy, probePlanes, probePlanesEarly } = clusterActivities(clusterId, healthTimeoutSeconds);

  upsertSearchAttributes([
    { key: SA.commit, value: commit },
    { key: SA.cluster, value: [clusterId] },
  ]);
  // The control-side bookkeeping runs beside the cluster's work instead of before it: two activity round trips fewer on the way to healthy.
  const overlapped = patched('reconcile-bookkeeping-overlapped');
  let preparedEarly: Promise<Settled<PlannedService[]>> | undefined;
  const fetching = () => {
    const fetched = settled(fetchCommit({ commit }));
    // Prepare starts with the fetch and shares its checkout on the Pi, instead of waiting a workflow task for it.
    if (patched('prepare-beside-fetch')) preparedEarly = settled(prepareCommit({ commit }));
    return fetched;
  };
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

  const steps: ApplySteps = {
    prepare: (sha) => prepareCommit({ commit: sha }),
    up: (sha) => composeUp({ commit: sha }),
    waitHealthy: (plan) => waitHealthy({ services: plan, timeoutSeconds: healthTimeoutSeconds }),
    probeEarly: () => (patched('probe-beside-health') ? probePlanesEarly({ early: true }) : undefined),
    // Plans from before the plane probe skip it, as their histories did.
    verify: async (health, early) => (health.healthy && patched('plane-probe') ? withPlaneProbe(health, () => probePlanes(), early) : health),
    rollingBack: (lastGood, failure) => log.warn('commit unhealthy, rolling back', { clusterId, commit, lastGood, failure }),
  };

  const preparing = preparedEarly ?? settled(prepareCommit({ commit }));
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

  const lastGood = input.rollbackTo === undefined ? record.lastGoodCommit : (input.rollbackTo ?? undefined);
  return finish(await applyWithRollback(steps, commit, prepared.value, lastGood));
}

type Settled<T> = { value: T } | { err: unknown };

/** An activity's outcome as a value, so it can be awaited beside another without an unhandled rejection. */
function settled<T>(p: Promise<T>): Promise<Settled<T>> {
  return p.then(
    (value) => ({ value }),
    (err: unknown) => ({ err }),
  );
}

function isFailureType(err: unknown, type: string): boolean {
  return failureOfType(err, type) !== undefined;
}
