import {
  ChildWorkflowFailure,
  TimeoutFailure,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  executeChild,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ClusterActivities } from '../activities/cluster/cluster-activities';
import type { ControlActivities } from '../activities/control/control-activities';
import { nextWindowStart, parseCronWindow } from './change-window';
import { reconcileCluster } from './reconcile-cluster';
import type { ServiceStatus } from './reconcile-types';
import { rootCause } from './failure-cause';
import { failureBudget } from './rollout-budget';
import type {
  Approval,
  ClusterProgress,
  OperatorAction,
  RolloutInput,
  RolloutPlan,
  RolloutStatus,
  WavePlan,
  WaveProgress,
} from './rollout-types';
import { SEARCH_ATTRIBUTES as SA } from './search-attributes';
import { clusterQueue, reconcileWorkflowId } from './task-queues';

export const statusQuery = defineQuery<RolloutStatus>('status');
export const approveUpdate = defineUpdate<Approval, [{ wave?: string; by: string }]>('approve');
export const pauseSignal = defineSignal<[OperatorAction]>('pause');
export const resumeSignal = defineSignal<[OperatorAction]>('resume');
export const abortSignal = defineSignal<[OperatorAction]>('abort');
export const supersedeSignal = defineSignal<[{ commit: string }]>('supersede');

const control = proxyActivities<ControlActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '30s', nonRetryableErrorTypes: ['ConfigError', 'UnknownCommit'] },
});

const longControl = proxyActivities<ControlActivities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

/** The worker of an offline Pi never starts this, so the schedule-to-start timeout tells "unreachable" from "failed". */
function clusterProbe(clusterId: string, pickupTimeoutSeconds: number) {
  return proxyActivities<ClusterActivities>({
    taskQueue: clusterQueue(clusterId),
    scheduleToStartTimeout: `${pickupTimeoutSeconds} seconds`,
    startToCloseTimeout: '30 seconds',
    retry: { maximumAttempts: 1 },
  }).observeServices;
}

const isHealthy = (services: ServiceStatus[]) =>
  services.length > 0 && services.every((s) => s.state === 'running' && (s.health === 'healthy' || s.health === 'none'));

/**
 * Rolls one commit out to the fleet wave by wave. A wave starts when its gates
 * open (pause, change window, approval) and the next wave only when this one is
 * healthy within its failure budget; otherwise the wave goes back to its last
 * good commits, the commit is marked bad and later waves are never touched.
 */
export async function rollout(input: RolloutInput): Promise<RolloutStatus> {
  const { commit } = input;
  const { workflowId, startTime } = workflowInfo();
  const status: RolloutStatus = {
    commit,
    state: 'running',
    waves: [],
    reasons: [],
    approvals: [],
    paused: false,
    trigger: input.trigger,
    startedAt: startTime.toISOString(),
  };
  let stop: { state: 'aborted'; reason: string } | undefined;
  let seq = 0;
  const event = (message: string) => control.recordRolloutEvent({ workflowId, commit, seq: seq++, message });

  setHandler(statusQuery, () => status);
  // Who paused and resumed is in the signal's payload in history.
  setHandler(pauseSignal, () => void (status.paused = true));
  setHandler(resumeSignal, () => void (status.paused = false));
  setHandler(abortSignal, ({ by, reason }) => {
    stop ??= { state: 'aborted', reason: `aborted by ${by}${reason ? `: ${reason}` : ''}` };
  });
  setHandler(supersedeSignal, ({ commit: newer }) => {
    stop ??= { state: 'aborted', reason: `superseded by ${newer}` };
  });
  setHandler(
    approveUpdate,
    ({ wave, by }) => {
      const name = wave ?? status.waves.find((w) => w.state === 'waiting' || w.state === 'pending')!.name;
      const approval = { wave: name, by, at: new Date().toISOString() };
      status.approvals.push(approval);
      return approval;
    },
    {
      validator: ({ wave, by }) => {
        if (!by) throw new Error('an approval names who approves');
        const open = status.waves.filter((w) => w.state === 'waiting' || w.state === 'pending');
        if (open.length === 0) throw new Error('no wave is left to approve');
        if (wave && !open.some((w) => w.name === wave)) throw new Error(`wave '${wave}' is not pending`);
      },
    },
  );
  upsertSearchAttributes([{ key: SA.commit, value: commit }]);

  let plan: RolloutPlan;
  try {
    plan = await control.planRollout({ commit });
  } catch (err) {
    status.state = 'halted';
    status.reasons.push(`refused: ${rootCause(err)}`);
    return finish(status);
  }
  if (input.breakglass) {
    let signer: string;
    try {
      signer = await control.verifyBreakglass({ commit, ...input.breakglass });
    } catch (err) {
      status.state = 'halted';
      status.reasons.push(`break-glass refused: ${rootCause(err)}`);
      return finish(status);
    }
    const fleet = plan.waves.flatMap((w) => w.clusters);
    const pickup = Math.min(...plan.waves.map((w) => w.pickupTimeoutSeconds));
    const deadlines = plan.waves.flatMap((w) => (w.reconcileTimeoutSeconds === undefined ? [] : [w.reconcileTimeoutSeconds]));
    plan.waves = [{
      name: 'breakglass', clusters: fleet, maxUnavailable: 0, soakSeconds: 0, approval: false, windows: [], pickupTimeoutSeconds: pickup,
      reconcileTimeoutSeconds: deadlines.length ? Math.max(...deadlines) : undefined,
    }];
    upsertSearchAttributes([{ key: SA.breakglass, value: true }]);
    await event(`BREAK-GLASS by ${signer} (expires ${input.breakglass.expiresAt}): every cluster at once, no soak, windows or approvals`);
  }
  status.waves = plan.waves.map((w) => ({
    name: w.name,
    state: 'pending',
    clusters: w.clusters.map((id) => ({ id, state: 'pending', commit: plan.lastGood[id] ?? null, healthy: false })),
  }));
  upsertSearchAttributes([
    { key: SA.cluster, value: plan.waves.flatMap((w) => w.clusters) },
    { key: SA.wave, value: plan.waves.map((w) => w.name) },
  ]);
  const superseded = await control.supersedeRollouts({ commit, workflowId, startedAt: status.startedAt });
  if (patched('await-superseded-rollouts') && superseded.length > 0) {
    await event(`superseding ${superseded.join(', ')}; waiting for them to stop`);
    await longControl.awaitRolloutsClosed({ workflowIds: superseded });
  }
  await control.syncDriftSchedules({ clusters: plan.waves.flatMap((w) => w.clusters), everySeconds: plan.driftCheckSeconds });
  const c = plan.commit;
  await event(
    `rollout of ${c.sha.slice(0, 12)} "${c.subject}" by ${c.author} (trigger: ${input.trigger?.source ?? 'cli'}${input.trigger?.by ? ` by ${input.trigger.by}` : ''})${gatesPassed(plan.gates)}`,
  );

  for (const [i, wave] of plan.waves.entries()) {
    const progress = status.waves[i]!;
    await passGates(wave, progress);
    if (stop) break;
    status.state = 'running';
    progress.state = 'running';
    await event(`wave ${wave.name}: reconciling ${wave.clusters.join(', ')}`);
    await Promise.all(progress.clusters.map((cp) => reconcileOne(cp, wave)));

    const budget = failureBudget(wave.maxUnavailable, wave.clusters.length);
    let bad = progress.clusters.filter((cp) => cp.state !== 'healthy');
    if (bad.length <= budget && wave.soakSeconds > 0) {
      progress.state = 'soaking';
      await sleep(`${wave.soakSeconds} seconds`, { summary: `soak of wave ${wave.name}` });
      await Promise.all(progress.clusters.filter((cp) => cp.state === 'healthy').map((cp) => recheck(cp, wave)));
      bad = progress.clusters.filter((cp) => cp.state !== 'healthy');
    }
    if (bad.length > budget) {
      await halt(plan, progress, bad, budget);
      break;
    }
    progress.state = 'healthy';
    await event(`wave ${wave.name}: healthy (${bad.length} of ${wave.clusters.length} down, budget ${budget})`);
  }

  if (stop && status.state !== 'halted') {
    status.state = stop.state;
    status.reasons.push(stop.reason);
    await event(stop.reason);
  } else if (status.state !== 'halted') {
    status.state = 'succeeded';
    await event('rollout succeeded');
  }
  for (const w of status.waves) if (w.state === 'pending' || w.state === 'waiting') w.state = 'skipped';
  return finish(status);

  async function passGates(wave: WavePlan, progress: WaveProgress): Promise<void> {
    const windows = wave.windows.map(parseCronWindow);
    for (;;) {
      if (stop) return;
      if (status.paused) {
        await waitVisibly(progress, `resume (paused before wave ${wave.name})`, () => !status.paused);
        continue;
      }
      const now = new Date();
      const opens = nextWindowStart(windows, now);
      if (!opens) {
        stop = { state: 'aborted', reason: `wave ${wave.name}: no change window opens within a year` };
        return;
      }
      if (opens.getTime() > now.getTime()) {
        await waitVisibly(progress, `change window of wave ${wave.name} (opens ${opens.toISOString()})`, () => false, opens.getTime() - now.getTime());
        continue;
      }
      if (wave.approval && !status.approvals.some((a) => a.wave === wave.name)) {
        await waitVisibly(progress, `approval of wave ${wave.name}`, () => status.approvals.some((a) => a.wave === wave.name));
        continue;
      }
      return;
    }
  }

  /** Waits on a durable timer or condition, showing why in status and history; an abort ends the wait. */
  async function waitVisibly(progress: WaveProgress, what: string, done: () => boolean, timeoutMs?: number): Promise<void> {
    status.state = 'waiting';
    status.waitingFor = what;
    progress.state = 'waiting';
    await event(`waiting for ${what}`);
    const until = () => done() || !!stop;
    if (timeoutMs === undefined) await condition(until);
    else await condition(until, timeoutMs);
    status.waitingFor = undefined;
  }

  async function reconcileOne(cp: ClusterProgress, wave: WavePlan): Promise<void> {
    cp.state = 'reconciling';
    try {
      await clusterProbe(cp.id, wave.pickupTimeoutSeconds)();
    } catch (err) {
      const offline = err instanceof Error && err.cause instanceof TimeoutFailure && err.cause.timeoutType === 'SCHEDULE_TO_START';
      cp.state = offline ? 'unreachable' : 'failed';
      await event(
        offline
          ? `${cp.id}: unreachable (no worker picked up work within ${wave.pickupTimeoutSeconds}s)`
          : `${cp.id}: failed before reconciling: ${rootCause(err)}`,
      );
      return;
    }
    let result;
    try {
      result = await executeChild(reconcileCluster, {
        taskQueue: clusterQueue(cp.id),
        workflowId: reconcileWorkflowId(cp.id, commit),
        args: [{ clusterId: cp.id, commit }],
        ...reconcileDeadline(wave),
      });
    } catch (err) {
      // A reconcile that could not run or ended in error: the wave counts it as failed instead of crashing.
      if (err instanceof ChildWorkflowFailure && err.cause instanceof TimeoutFailure) {
        cp.state = 'unreachable';
        await event(`${cp.id}: unreachable (its reconcile did not finish within ${wave.reconcileTimeoutSeconds}s; offline mid-change?)`);
        return;
      }
      cp.state = 'failed';
      await event(`${cp.id}: failed: ${rootCause(err)}`);
      return;
    }
    cp.state = result.outcome;
    cp.commit = result.appliedCommit ?? cp.commit;
    cp.healthy = result.outcome === 'healthy';
    const why = result.failure ? `: ${result.failure.service ?? ''} ${result.failure.reason}` : result.rejection ? `: ${result.rejection.file}: ${result.rejection.field}: ${result.rejection.reason}` : '';
    await event(`${cp.id}: ${result.outcome}${why}`);
  }

  async function recheck(cp: ClusterProgress, wave: WavePlan): Promise<void> {
    const services = await clusterProbe(cp.id, wave.pickupTimeoutSeconds)().catch(() => undefined);
    if (services && isHealthy(services)) return;
    cp.state = services ? 'failed' : 'unreachable';
    cp.healthy = false;
    await event(`${cp.id}: ${services ? 'unhealthy' : 'unreachable'} after the soak of wave ${wave.name}`);
  }

  async function halt(p: RolloutPlan, progress: WaveProgress, bad: ClusterProgress[], budget: number): Promise<void> {
    status.state = 'halted';
    progress.state = 'halted';
    for (const cp of bad) status.reasons.push(`wave ${progress.name}: ${cp.id} ${cp.state}`);
    status.reasons.push(`wave ${progress.name}: ${bad.length} cluster(s) down, budget ${budget}`);
    await event(`wave ${progress.name}: halted; rolling the wave back`);
    // Every cluster of the wave that runs the commit goes back, healthy or not; a revert has no rollback of its own.
    await Promise.all(
      progress.clusters
        .filter((cp) => cp.commit === commit && p.lastGood[cp.id] && p.lastGood[cp.id] !== commit)
        .map(async (cp) => {
          const back = p.lastGood[cp.id]!;
          const result = await executeChild(reconcileCluster, {
            taskQueue: clusterQueue(cp.id),
            workflowId: `revert-${cp.id}-${commit}`,
            args: [{ clusterId: cp.id, commit: back, rollbackTo: null }],
            ...reconcileDeadline(p.waves.find((w) => w.name === progress.name)),
          }).catch((err: unknown) => ({ outcome: 'failed' as const, appliedCommit: undefined, error: rootCause(err) }));
          cp.state = result.outcome === 'healthy' ? 'reverted' : 'failed';
          cp.commit = result.appliedCommit ?? cp.commit;
          cp.healthy = result.outcome === 'healthy';
          await event(`${cp.id}: reverted to ${back.slice(0, 12)} (${result.outcome})`);
        }),
    );
    await control.markCommitBad({ commit, reason: status.reasons.join('; '), previousLastGood: p.lastGood });
  }

  async function finish(s: RolloutStatus): Promise<RolloutStatus> {
    s.endedAt = new Date().toISOString();
    upsertSearchAttributes([{ key: SA.outcome, value: s.state }]);
    await control.recordRollout({ status: s });
    return s;
  }
}

/**
 * The child reconcile's execution timeout, when the plan has one. Plans and
 * histories from before the deadline existed start their children without it.
 */
function reconcileDeadline(wave: WavePlan | undefined): { workflowExecutionTimeout?: number } {
  const seconds = wave?.reconcileTimeoutSeconds;
  return seconds !== undefined && patched('reconcile-deadline') ? { workflowExecutionTimeout: seconds * 1000 } : {};
}

/** The gates' findings for the history; old plans carry none, and their event text stays as recorded. */
function gatesPassed(g: RolloutPlan['gates']): string {
  if (!g) return '';
  const parts = [g.commitSigner ? `commit signed by ${g.commitSigner}` : 'commit signature not required (no allowed-signers)'];
  parts.push(g.images !== undefined ? `${g.images} image${g.images === 1 ? '' : 's'} pinned, signed by ${g.imageSigners?.join(', ')}, attested within budget` : 'no image policy');
  return `; gates passed: ${parts.join('; ')}`;
}
