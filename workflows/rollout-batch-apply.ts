import { TimeoutFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { ClusterActivities, ClusterApplyResult } from '../activities/cluster/cluster-activities';
import { rootCause } from './failure-cause';
import { DEFAULT_HEALTH_TIMEOUT_SECONDS, type ReconcileResult } from './reconcile-types';
import { type ClusterStepLog, type WaveTimeouts, settleReconcile } from './rollout-cluster-steps';
import { control, longControl } from './rollout-run';
import type { ClusterProgress } from './rollout-types';
import { clusterQueue } from './task-queues';

/** Plans from before the reconcile deadline have none; the inventory's default. */
const DEFAULT_RECONCILE_TIMEOUT_SECONDS = 1800;

/**
 * The whole reconcile as one activity on the cluster's own queue. The worker of an offline Pi never
 * starts it, so its schedule-to-start timeout tells "unreachable" from "failed" without a probe first.
 */
function clusterApply(clusterId: string, wave: WaveTimeouts) {
  return proxyActivities<ClusterActivities>({
    taskQueue: clusterQueue(clusterId),
    scheduleToStartTimeout: `${wave.pickupTimeoutSeconds} seconds`,
    // The wave's reconcile deadline covers every attempt, as it covered a reconcile child's whole run.
    scheduleToCloseTimeout: `${wave.reconcileTimeoutSeconds ?? DEFAULT_RECONCILE_TIMEOUT_SECONDS} seconds`,
    // Every step inside heartbeats, so a Pi that dies mid-change is retried (or found offline) within seconds.
    heartbeatTimeout: '20 seconds',
    retry: { maximumAttempts: 3, initialInterval: '2s' },
  }).applyCommit;
}

type Outcome = ReconcileResult & { startedAt: string; endedAt: string };

/**
 * A batch's clusters reconciled to the commit: the bookkeeping once for the
 * batch (desired commits and last good ones before, outcomes after), and per
 * cluster a single applyCommit activity, so the control plane's cost per
 * cluster is one activity task. A cluster where an operator already applies
 * this commit follows that reconcile instead of racing it.
 */
export async function applyBatch(run: ClusterStepLog, clusters: ClusterProgress[], wave: WaveTimeouts): Promise<void> {
  const { commit } = run;
  const start = await control.beginBatchReconcile({ commit, clusterIds: clusters.map((cp) => cp.id) });
  const outcomes: Outcome[] = [];
  const unreached: Array<{ clusterId: string; desired?: string }> = [];
  await Promise.all(
    clusters.map(async (cp) => {
      cp.state = 'reconciling';
      const following = start.running[cp.id];
      if (following) return follow(run, cp, following);
      let applied: ClusterApplyResult;
      try {
        const rollbackTo = start.clusters[cp.id]?.lastGood;
        applied = await clusterApply(cp.id, wave)({ commit, rollbackTo, healthTimeoutSeconds: DEFAULT_HEALTH_TIMEOUT_SECONDS });
      } catch (err) {
        // No outcome, no change under way: drift checks hold the cluster on its last good commit again.
        unreached.push({ clusterId: cp.id, desired: start.clusters[cp.id]?.desired });
        return settleUnapplied(run, cp, wave, err);
      }
      const outcome: Outcome = { clusterId: cp.id, commit, ...applied };
      outcomes.push(outcome);
      await settleReconcile(run, cp, outcome);
    }),
  );
  const { workflowId, runId } = workflowInfo();
  await control.recordBatchReconciles({ workflowId, runId, commit, results: outcomes, unreached });
}

async function follow(run: ClusterStepLog, cp: ClusterProgress, workflowId: string): Promise<void> {
  await run.event(`${cp.id}: ${workflowId} is already running; following its outcome`, cp.id);
  try {
    await settleReconcile(run, cp, await longControl.awaitReconcile({ workflowId }));
  } catch (err) {
    cp.state = 'failed';
    await run.event(`${cp.id}: failed: ${rootCause(err)}`, cp.id);
  }
}

function timeoutOf(err: unknown): TimeoutFailure | undefined {
  return err instanceof Error && err.cause instanceof TimeoutFailure ? err.cause : undefined;
}

/** The Pi's worker never picked the work up: nothing on the cluster changed. */
function neverStarted(err: unknown): boolean {
  return timeoutOf(err)?.timeoutType === 'SCHEDULE_TO_START';
}

async function settleUnapplied(run: ClusterStepLog, cp: ClusterProgress, wave: WaveTimeouts, err: unknown): Promise<void> {
  if (neverStarted(err)) {
    cp.state = 'unreachable';
    await run.event(`${cp.id}: unreachable (no worker picked up work within ${wave.pickupTimeoutSeconds}s)`, cp.id);
  } else if (timeoutOf(err)) {
    cp.state = 'unreachable';
    await run.event(`${cp.id}: unreachable (its reconcile did not finish within ${wave.reconcileTimeoutSeconds}s; offline mid-change?)`, cp.id);
  } else {
    // Not the commit's fault (a git remote down, say): failed, not blamed.
    cp.state = 'failed';
    await run.event(`${cp.id}: failed: ${rootCause(err)}`, cp.id);
  }
}
