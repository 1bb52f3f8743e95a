import { sleep } from '@temporalio/workflow';
import { failureBudget } from './rollout-budget';
import { reconcileOne, recheck, revertOne } from './rollout-cluster-steps';
import { markCommitIfAtFault } from './rollout-commit-mark';
import type { RolloutRun } from './rollout-run';
import type { ClusterProgress, RolloutPlan, WavePlan, WaveProgress } from './rollout-types';

/**
 * Reconciles every cluster of a wave at once, soaks, and promotes the wave when
 * it is healthy within its failure budget; otherwise halts and rolls it back.
 * The path of rollouts started before the rolloutWave and rolloutBatch workflows:
 * everything in the rollout's own history.
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

async function halt(run: RolloutRun, p: RolloutPlan, progress: WaveProgress, bad: ClusterProgress[], budget: number): Promise<void> {
  const { status, commit } = run;
  status.state = 'halted';
  progress.state = 'halted';
  for (const cp of bad) status.reasons.push(`wave ${progress.name}: ${cp.id} ${cp.state}`);
  status.reasons.push(`wave ${progress.name}: ${bad.length} cluster(s) down, budget ${budget}`);
  await run.event(`wave ${progress.name}: halted; rolling the wave back`);
  // Every cluster of the wave that runs the commit goes back, healthy or not.
  const wave = p.waves.find((w) => w.name === progress.name);
  await Promise.all(
    progress.clusters
      .filter((cp) => cp.commit === commit && p.lastGood[cp.id] && p.lastGood[cp.id] !== commit)
      .map((cp) => revertOne(run, cp, p.lastGood[cp.id]!, wave)),
  );
  await markCommitIfAtFault(run, p.lastGood, bad.some((cp) => run.isCommitsFault(cp)));
}
