import { patched, proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { ControlActivities } from '../activities/control/control-activities';
import { fullSha } from '../common/input-ids';
import { breakglassOptOutRefusal, breakglassPlan } from './breakglass-plan';
import { refuseMalformedInput } from './input-guard';
import { rootCause } from './failure-cause';
import { passGates } from './rollout-gates';
import { handleOperatorMessages } from './rollout-messages';
import { RolloutRun, control, longControl } from './rollout-run';
import type { InsecureGate } from '../config/insecure-opt-out';
import type { RolloutInput, RolloutPlan, RolloutStatus } from './rollout-types';
import { runWave } from './rollout-wave';
import { STATUS_CLUSTERS_MAX, clusterList } from './rollout-batching';
import { runWaveChild } from './rollout-wave-child';
import { SEARCH_ATTRIBUTES as SA, keywordListFits } from './search-attributes';

export { abortSignal, approveUpdate, pauseSignal, resumeSignal, statusQuery, supersedeSignal } from './rollout-messages';

/** A push can name a commit before the repo serves it (a lagging mirror): keep fetching for a while before giving up. */
const DEFAULT_COMMIT_WAIT_SECONDS = 600;
function commitWait(seconds: number) {
  return proxyActivities<ControlActivities>({
    scheduleToCloseTimeout: `${seconds} seconds`,
    startToCloseTimeout: '1 minute',
    retry: { initialInterval: '2s', maximumInterval: '30s' },
  }).awaitCommit;
}

/**
 * Rolls one commit out to the fleet wave by wave (SPEC-3's runbook). A wave
 * starts when its gates open (pause, change window, approval) and the next wave
 * only when this one is healthy within its failure budget; otherwise the wave
 * goes back to its last good commits, the commit is marked bad when it was at
 * fault, and later waves are never touched.
 */
export async function rollout(input: RolloutInput): Promise<RolloutStatus> {
  refuseMalformedInput('rollout', () => fullSha('commit', input.commit));
  const run = new RolloutRun(input);
  const { commit, status } = run;
  handleOperatorMessages(status, (reason) => run.stopWith(reason));
  upsertSearchAttributes([{ key: SA.commit, value: commit }]);

  if (patched('await-commit')) {
    const seconds = input.commitWaitSeconds ?? DEFAULT_COMMIT_WAIT_SECONDS;
    try {
      await commitWait(seconds)({ commit });
    } catch (err) {
      status.commitMissing = true;
      const why = `commit not found in the config repo after waiting ${seconds}s (${rootCause(err)})`;
      return halted(`${why}; nothing was applied or marked bad, the next trigger starts it again`);
    }
  }
  if (input.trigger?.source === 'retry') {
    const { by = 'unknown', reason } = input.trigger;
    await control.clearCommitBad({ commit, by, reason });
    await run.event(`retry by ${by}${reason ? `: ${reason}` : ''}; the commit's bad mark is cleared`);
  }

  let plan: RolloutPlan;
  try {
    plan = await control.planRollout({ commit });
  } catch (err) {
    return halted(`refused: ${rootCause(err)}`);
  }
  if (plan.gates) status.insecure = plan.gates.insecure ?? [];
  if (input.breakglass) {
    const optedOut = breakglassOptOutRefusal(plan.gates);
    if (optedOut && patched('breakglass-refuses-opt-out')) return halted(`break-glass refused: ${optedOut}`);
    let signer: string;
    try {
      signer = await control.verifyBreakglass({ commit, ...input.breakglass });
    } catch (err) {
      return halted(`break-glass refused: ${rootCause(err)}`);
    }
    plan.waves = breakglassPlan(plan);
    upsertSearchAttributes([{ key: SA.breakglass, value: true }]);
    await run.event(`BREAK-GLASS by ${signer} (expires ${input.breakglass.expiresAt}): every cluster at once, no soak, windows or approvals`);
  }
  // Each wave in a rolloutWave child, its clusters in rolloutBatch children: this history stays the same size for any fleet.
  const hierarchy = patched('rollout-hierarchy');
  status.waves = plan.waves.map((w) => ({
    name: w.name,
    state: 'pending',
    clusters:
      hierarchy && w.clusters.length > STATUS_CLUSTERS_MAX
        ? []
        : w.clusters.map((id) => ({ id, state: 'pending', commit: plan.lastGood[id] ?? null, healthy: false })),
  }));
  const fleet = plan.waves.flatMap((w) => w.clusters);
  // Past about a hundred clusters the list is over Temporal's limit: then each reconcile's LucidCluster finds them.
  upsertSearchAttributes([
    ...(keywordListFits(fleet) ? [{ key: SA.cluster, value: fleet }] : []),
    { key: SA.wave, value: plan.waves.map((w) => w.name) },
  ]);
  const drift = { clusters: fleet, everySeconds: plan.driftCheckSeconds };
  const supersede = () => control.supersedeRollouts({ commit, workflowId: workflowInfo().workflowId, startedAt: status.startedAt });
  if (patched('bookkeeping-at-once')) {
    // None of the four reads another's result: one workflow task instead of four round trips before the first wave.
    // The record is written at the start, so /metrics shows an opted-out commit while it rolls out.
    const [superseded] = await Promise.all([
      supersede(),
      control.recordRollout({ status }),
      control.syncDriftSchedules(drift),
      run.event(rolloutLine(plan, input)),
    ]);
    if (superseded.length > 0) {
      await run.event(`superseding ${superseded.join(', ')}; waiting for them to stop`);
      await longControl.awaitRolloutsClosed({ workflowIds: superseded });
      // One still in its own bookkeeping may have synced its older fleet's Schedules after this rollout did.
      await control.syncDriftSchedules(drift);
    }
  } else {
    // Recorded as it starts, not only at its end, so /metrics shows an opted-out commit while it rolls out.
    if (patched('record-rollout-at-start')) await control.recordRollout({ status });
    const superseded = await supersede();
    if (patched('await-superseded-rollouts') && superseded.length > 0) {
      await run.event(`superseding ${superseded.join(', ')}; waiting for them to stop`);
      await longControl.awaitRolloutsClosed({ workflowIds: superseded });
    }
    await control.syncDriftSchedules(drift);
    await run.event(rolloutLine(plan, input));
  }

  for (const [i, wave] of plan.waves.entries()) {
    const progress = status.waves[i]!;
    await passGates(run, wave, progress);
    if (run.stop) break;
    status.state = 'running';
    progress.state = 'running';
    await run.event(`wave ${wave.name}: reconciling ${clusterList(wave.clusters)}`);
    const ran = hierarchy ? await runWaveChild(run, plan, wave, progress) : await runWave(run, plan, wave, progress);
    if (ran === 'halted') break;
  }

  if (run.stop && status.state !== 'halted') {
    status.state = run.stop.state;
    status.reasons.push(run.stop.reason);
    await run.event(run.stop.reason);
  } else if (status.state !== 'halted') {
    status.state = 'succeeded';
    await run.event('rollout succeeded');
  }
  for (const w of status.waves) if (w.state === 'pending' || w.state === 'waiting') w.state = 'skipped';
  return finish(status);

  function halted(reason: string): Promise<RolloutStatus> {
    status.state = 'halted';
    status.reasons.push(reason);
    return finish(status);
  }
}

async function finish(s: RolloutStatus): Promise<RolloutStatus> {
  s.endedAt = new Date().toISOString();
  upsertSearchAttributes([{ key: SA.outcome, value: s.state }]);
  await control.recordRollout({ status: s });
  return s;
}

/** The rollout's first timeline line: what, by whom, triggered how, and what the gates found. */
function rolloutLine(plan: RolloutPlan, input: RolloutInput): string {
  const c = plan.commit;
  const trigger = `${input.trigger?.source ?? 'cli'}${input.trigger?.by ? ` by ${input.trigger.by}` : ''}`;
  return `rollout of ${c.sha.slice(0, 12)} "${c.subject}" by ${c.author} (trigger: ${trigger})${gatesPassed(plan.gates)}`;
}

/**
 * The gates' findings for the history, an opt-out as a WARNING. Old plans carry none, or (from before the
 * gates were on by default) no `insecure`, and their event text stays as recorded.
 */
function gatesPassed(g: RolloutPlan['gates']): string {
  if (!g) return '';
  const optedOut = new Set(g.insecure);
  const unchecked = (what: string, old: string, gate: InsecureGate) => (optedOut.has(gate) ? `${what} NOT checked` : old);
  const parts = [g.commitSigner ? `commit signed by ${g.commitSigner}` : unchecked('commit signature', 'commit signature not required (no allowed-signers)', 'unsignedCommits')];
  const images = g.images === 1 ? '1 image' : `${g.images} images`;
  parts.push(g.images !== undefined ? `${images} pinned, signed by ${g.imageSigners?.join(', ')}, attested within budget` : unchecked('images', 'no image policy', 'unpinnedImages'));
  const warning = g.insecure?.length ? `; WARNING: insecure opt-out in policies/lucid.yaml: ${g.insecure.join(', ')}` : '';
  return `; gates passed: ${parts.join('; ')}${warning}`;
}
