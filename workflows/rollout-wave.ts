import { ChildWorkflowFailure, TimeoutFailure, executeChild, patched, proxyActivities, sleep } from '@temporalio/workflow';
import type { ClusterActivities } from '../activities/cluster/cluster-activities';
import { allHealthy } from '../common/service-health';
import { rootCause } from './failure-cause';
import { reconcileCluster } from './reconcile-cluster';
import type { ReconcileResult } from './reconcile-types';
import { failureBudget } from './rollout-budget';
import { control, longControl, type RolloutRun } from './rollout-run';
import type { ClusterProgress, RolloutPlan, WavePlan, WaveProgress } from './rollout-types';
import { clusterQueue, reconcileTaskQueue, reconcileWorkflowId, revertWorkflowId } from './task-queues';

/** The worker of an offline Pi never starts this, so the schedule-to-start timeout tells "unreachable" from "failed". */
function clusterProbe(clusterId: string, pickupTimeoutSeconds: number) {
  return proxyActivities<ClusterActivities>({
    taskQueue: clusterQueue(clusterId),
    scheduleToStartTimeout: `${pickupTimeoutSeconds} seconds`,
    startToCloseTimeout: '30 seconds',
    retry: { maximumAttempts: 1 },
  }).observeServices;
}

/**
 * Reconciles every cluster of a wave at once, soaks, and promotes the wave when
 * it is healthy within its failure budget; otherwise halts and rolls it back.
 */
export async function runWave(run: RolloutRun, plan: RolloutPlan, wave: WavePlan, progress: WaveProgress): Promise<'healthy' | 'halted'> {
  await Promise.all(progress.clusters.map((cp) => reconcileOne(run, cp, wave)));

  const budget = failureBudget(wave.maxUnavailable, wave.clusters.length);
  let bad = progress.clusters.filter((cp) => cp.state !== 'healthy');
  if (bad.length <= budget && wave.soakSeconds > 0) {
    progress.state = 'soaking';
    await sleep(`${wave.soakSeconds} seconds`, { summary: `soak of wave ${wave.name}` });
    await Promise.all(progress.clusters.filter((cp) => cp.state === 'healthy').map((cp) => recheck(run, cp, wave)));
    bad = progress.clusters.filter((cp) => cp.state !== 'healthy');
  }
  if (bad.length > budget) {
    await halt(run, plan, progress, bad, budget);
    return 'halted';
  }
  progress.state = 'healthy';
  await run.event(`wave ${wave.name}: healthy (${bad.length} of ${wave.clusters.length} down, budget ${budget})`);
  return 'healthy';
}

async function reconcileOne(run: RolloutRun, cp: ClusterProgress, wave: WavePlan): Promise<void> {
  const { commit } = run;
  cp.state = 'reconciling';
  try {
    await clusterProbe(cp.id, wave.pickupTimeoutSeconds)();
  } catch (err) {
    const offline = err instanceof Error && err.cause instanceof TimeoutFailure && err.cause.timeoutType === 'SCHEDULE_TO_START';
    cp.state = offline ? 'unreachable' : 'failed';
    await run.event(
      offline
        ? `${cp.id}: unreachable (no worker picked up work within ${wave.pickupTimeoutSeconds}s)`
        : `${cp.id}: failed before reconciling: ${rootCause(err)}`,
    );
    return;
  }
  let result: ReconcileResult;
  const workflowId = reconcileWorkflowId(cp.id, commit);
  try {
    result = await executeChild(reconcileCluster, {
      taskQueue: reconcileTaskQueue(cp.id),
      workflowId,
      args: [{ clusterId: cp.id, commit }],
      ...reconcileDeadline(wave),
    }).catch(async (err: unknown) => {
      // Someone (an operator, say) is already applying this commit here: its outcome is this cluster's.
      if (!isAlreadyStarted(err) || !patched('attach-running-reconcile')) throw err;
      await run.event(`${cp.id}: ${workflowId} is already running; following its outcome`);
      return longControl.awaitReconcile({ workflowId });
    });
  } catch (err) {
    // A reconcile that could not run or ended in error: the wave counts it as failed instead of crashing.
    if (err instanceof ChildWorkflowFailure && err.cause instanceof TimeoutFailure) {
      cp.state = 'unreachable';
      await run.event(`${cp.id}: unreachable (its reconcile did not finish within ${wave.reconcileTimeoutSeconds}s; offline mid-change?)`);
      return;
    }
    cp.state = 'failed';
    await run.event(`${cp.id}: failed: ${rootCause(err)}`);
    return;
  }
  cp.state = result.outcome;
  if (result.outcome !== 'healthy' && !result.failure?.stage) run.blame(cp.id);
  cp.commit = result.appliedCommit ?? cp.commit;
  cp.healthy = result.outcome === 'healthy';
  await run.event(`${cp.id}: ${result.outcome}${outcomeReason(result)}`);
}

function outcomeReason(r: ReconcileResult): string {
  if (r.failure) return `: ${r.failure.service ?? ''} ${r.failure.reason}`;
  if (r.rejection) return `: ${r.rejection.file}: ${r.rejection.field}: ${r.rejection.reason}`;
  return '';
}

async function recheck(run: RolloutRun, cp: ClusterProgress, wave: WavePlan): Promise<void> {
  const services = await clusterProbe(cp.id, wave.pickupTimeoutSeconds)().catch(() => undefined);
  if (services && allHealthy(services)) return;
  if (services) run.blame(cp.id);
  cp.state = services ? 'failed' : 'unreachable';
  cp.healthy = false;
  await run.event(`${cp.id}: ${services ? 'unhealthy' : 'unreachable'} after the soak of wave ${wave.name}`);
}

async function halt(run: RolloutRun, p: RolloutPlan, progress: WaveProgress, bad: ClusterProgress[], budget: number): Promise<void> {
  const { status, commit } = run;
  status.state = 'halted';
  progress.state = 'halted';
  for (const cp of bad) status.reasons.push(`wave ${progress.name}: ${cp.id} ${cp.state}`);
  status.reasons.push(`wave ${progress.name}: ${bad.length} cluster(s) down, budget ${budget}`);
  await run.event(`wave ${progress.name}: halted; rolling the wave back`);
  // Every cluster of the wave that runs the commit goes back, healthy or not; a revert has no rollback of its own.
  await Promise.all(
    progress.clusters
      .filter((cp) => cp.commit === commit && p.lastGood[cp.id] && p.lastGood[cp.id] !== commit)
      .map(async (cp) => {
        const back = p.lastGood[cp.id]!;
        const result = await executeChild(reconcileCluster, {
          taskQueue: reconcileTaskQueue(cp.id),
          workflowId: revertWorkflowId(cp.id, commit),
          args: [{ clusterId: cp.id, commit: back, rollbackTo: null }],
          ...reconcileDeadline(p.waves.find((w) => w.name === progress.name)),
        }).catch((err: unknown) => ({ outcome: 'failed' as const, appliedCommit: undefined, error: rootCause(err) }));
        cp.state = result.outcome === 'healthy' ? 'reverted' : 'failed';
        cp.commit = result.appliedCommit ?? cp.commit;
        cp.healthy = result.outcome === 'healthy';
        await run.event(`${cp.id}: reverted to ${back.slice(0, 12)} (${result.outcome})`);
      }),
  );
  // Unreachable clusters and failed fetches say nothing about the commit: it is marked bad only for its own health or validity.
  if (patched('bad-only-for-own-fault') && !bad.some((cp) => run.isCommitsFault(cp))) {
    await run.event(`not marking ${commit.slice(0, 12)} bad: no cluster refused it or found it unhealthy`);
    await control.restoreLastGood({ commit, previousLastGood: p.lastGood });
    return;
  }
  await control.markCommitBad({ commit, reason: status.reasons.join('; '), previousLastGood: p.lastGood });
}

function isAlreadyStarted(err: unknown): boolean {
  return err instanceof Error && err.name === 'WorkflowExecutionAlreadyStartedError';
}

/**
 * The child reconcile's execution timeout, when the plan has one. Plans and
 * histories from before the deadline existed start their children without it.
 */
function reconcileDeadline(wave: WavePlan | undefined): { workflowExecutionTimeout?: number } {
  const seconds = wave?.reconcileTimeoutSeconds;
  return seconds !== undefined && patched('reconcile-deadline') ? { workflowExecutionTimeout: seconds * 1000 } : {};
}
