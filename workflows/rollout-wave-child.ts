import { condition, startChild, workflowInfo } from '@temporalio/workflow';
import { DEFAULT_ROLLOUT_BATCHING } from '../common/rollout-batching';
import { rootCause } from './failure-cause';
import { pick } from './rollout-batching';
import { markCommitIfAtFault } from './rollout-commit-mark';
import { stopWaveSignal } from './rollout-messages';
import type { RolloutRun } from './rollout-run';
import type { RolloutPlan, WavePlan, WaveProgress } from './rollout-types';
import type { RolloutWaveResult } from './rollout-wave-types';
import { rolloutWave } from './rollout-wave-workflow';
import { rolloutWaveWorkflowId } from './task-queues';

/**
 * The rollout's side of a wave run as a rolloutWave child: an abort or supersede reaches the wave (no
 * more batches start), the wave's counts and first bad clusters go into the status, and a halted wave
 * marks the commit as an inline wave did.
 */
export async function runWaveChild(run: RolloutRun, plan: RolloutPlan, wave: WavePlan, progress: WaveProgress): Promise<'healthy' | 'halted'> {
  const { status, commit } = run;
  const { workflowId } = workflowInfo();
  const handle = await startChild(rolloutWave, {
    workflowId: rolloutWaveWorkflowId(workflowId, wave.name),
    args: [
      {
        commit,
        rolloutWorkflowId: workflowId,
        wave,
        lastGood: pick(plan.lastGood, wave.clusters),
        batching: plan.batching ?? DEFAULT_ROLLOUT_BATCHING,
      },
    ],
  });
  let closed = false;
  const ended = handle.result().then(
    (r) => r,
    (err: unknown): RolloutWaveResult => ({
      // The wave workflow itself failed (terminated, say): nothing is known of its clusters, so nothing is blamed.
      state: 'halted',
      budget: 0,
      down: 0,
      bad: [{ id: handle.workflowId, state: 'failed', commit: null, healthy: false, reason: rootCause(err) }],
      atFault: false,
      counts: {},
    }),
  );
  void ended.then(() => void (closed = true));
  await condition(() => closed || !!run.stop);
  // The wave may end between the stop and the signal; its result is then final, and the signal's failure is moot.
  if (!closed) await handle.signal(stopWaveSignal, { reason: run.stop!.reason }).catch(() => undefined);
  const outcome = await ended;

  progress.total = wave.clusters.length;
  progress.counts = outcome.counts;
  progress.clusters = outcome.clusters ?? outcome.bad.map(({ reason: _, ...cp }) => cp);
  if (outcome.state !== 'halted') {
    progress.state = outcome.state;
    return 'healthy';
  }
  status.state = 'halted';
  progress.state = 'halted';
  for (const b of outcome.bad) status.reasons.push(`wave ${wave.name}: ${b.id} ${b.state}`);
  if (outcome.down > outcome.bad.length) status.reasons.push(`wave ${wave.name}: ${outcome.down - outcome.bad.length} more cluster(s) down`);
  status.reasons.push(`wave ${wave.name}: ${outcome.down} cluster(s) down, budget ${outcome.budget}`);
  await markCommitIfAtFault(run, plan.lastGood, outcome.atFault);
  return 'halted';
}
