import { ChildWorkflowFailure, TimeoutFailure, executeChild, patched, proxyActivities } from '@temporalio/workflow';
import type { ClusterActivities } from '../activities/cluster/cluster-activities';
import { allHealthy } from '../common/service-health';
import { rootCause } from './failure-cause';
import { reconcileCluster } from './reconcile-cluster';
import type { ReconcileResult } from './reconcile-types';
import { longControl } from './rollout-run';
import type { ClusterProgress, WavePlan } from './rollout-types';
import { reconcileTaskQueue } from './reconcile-task-queue';
import { clusterQueue, reconcileWorkflowId, revertWorkflowId } from './task-queues';

/** What a cluster step tells: the timeline line (about one cluster), and whether the commit is at fault. */
export interface ClusterStepLog {
  readonly commit: string;
  event(message: string, clusterId?: string): Promise<void>;
  blame(clusterId: string): void;
}

/** The parts of a wave's plan a step on one of its clusters needs. */
export type WaveTimeouts = Pick<WavePlan, 'name' | 'pickupTimeoutSeconds' | 'reconcileTimeoutSeconds'>;

/** The worker of an offline Pi never starts this, so the schedule-to-start timeout tells "unreachable" from "failed". */
function clusterProbe(clusterId: string, pickupTimeoutSeconds: number) {
  return proxyActivities<ClusterActivities>({
    taskQueue: clusterQueue(clusterId),
    scheduleToStartTimeout: `${pickupTimeoutSeconds} seconds`,
    startToCloseTimeout: '30 seconds',
    retry: { maximumAttempts: 1 },
  }).observeServices;
}

/** Probes the cluster, then applies the commit there through a reconcileCluster child. */
export async function reconcileOne(run: ClusterStepLog, cp: ClusterProgress, wave: WaveTimeouts): Promise<void> {
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
      cp.id,
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
      await run.event(`${cp.id}: ${workflowId} is already running; following its outcome`, cp.id);
      return longControl.awaitReconcile({ workflowId });
    });
  } catch (err) {
    // A reconcile that could not run or ended in error: the wave counts it as failed instead of crashing.
    if (err instanceof ChildWorkflowFailure && err.cause instanceof TimeoutFailure) {
      cp.state = 'unreachable';
      await run.event(`${cp.id}: unreachable (its reconcile did not finish within ${wave.reconcileTimeoutSeconds}s; offline mid-change?)`, cp.id);
      return;
    }
    cp.state = 'failed';
    await run.event(`${cp.id}: failed: ${rootCause(err)}`, cp.id);
    return;
  }
  await settleReconcile(run, cp, result);
}

/** A cluster's state and timeline line from its reconcile's outcome; the commit is at fault only if it reached the cluster. */
export async function settleReconcile(run: ClusterStepLog, cp: ClusterProgress, result: ReconcileResult): Promise<void> {
  cp.state = result.outcome;
  if (result.outcome !== 'healthy' && !result.failure?.stage) run.blame(cp.id);
  cp.commit = result.appliedCommit ?? cp.commit;
  cp.healthy = result.outcome === 'healthy';
  await run.event(`${cp.id}: ${result.outcome}${outcomeReason(result)}`, cp.id);
}

function outcomeReason(r: ReconcileResult): string {
  if (r.failure) return `: ${r.failure.service ?? ''} ${r.failure.reason}`;
  if (r.rejection) return `: ${r.rejection.file}: ${r.rejection.field}: ${r.rejection.reason}`;
  return '';
}

/** After the soak: a healthy cluster is probed again. */
export async function recheck(run: ClusterStepLog, cp: ClusterProgress, wave: WaveTimeouts): Promise<void> {
  const services = await clusterProbe(cp.id, wave.pickupTimeoutSeconds)().catch(() => undefined);
  if (services && allHealthy(services)) return;
  if (services) run.blame(cp.id);
  cp.state = services ? 'failed' : 'unreachable';
  cp.healthy = false;
  await run.event(`${cp.id}: ${services ? 'unhealthy' : 'unreachable'} after the soak of wave ${wave.name}`, cp.id);
}

/** A halted wave's cluster back to its last good commit; a revert has no rollback of its own. */
export async function revertOne(run: ClusterStepLog, cp: ClusterProgress, back: string, wave: WaveTimeouts | undefined): Promise<void> {
  const result = await executeChild(reconcileCluster, {
    taskQueue: reconcileTaskQueue(cp.id),
    workflowId: revertWorkflowId(cp.id, run.commit),
    args: [{ clusterId: cp.id, commit: back, rollbackTo: null }],
    ...reconcileDeadline(wave),
  }).catch((err: unknown) => ({ outcome: 'failed' as const, appliedCommit: undefined, error: rootCause(err) }));
  cp.state = result.outcome === 'healthy' ? 'reverted' : 'failed';
  cp.commit = result.appliedCommit ?? cp.commit;
  cp.healthy = result.outcome === 'healthy';
  await run.event(`${cp.id}: reverted to ${back.slice(0, 12)} (${result.outcome})`, cp.id);
}

function isAlreadyStarted(err: unknown): boolean {
  return err instanceof Error && err.name === 'WorkflowExecutionAlreadyStartedError';
}

/**
 * The child reconcile's execution timeout, when the plan has one. Plans and
 * histories from before the deadline existed start their children without it.
 */
function reconcileDeadline(wave: WaveTimeouts | undefined): { workflowExecutionTimeout?: number } {
  const seconds = wave?.reconcileTimeoutSeconds;
  return seconds !== undefined && patched('reconcile-deadline') ? { workflowExecutionTimeout: seconds * 1000 } : {};
}
