import { patched } from '@temporalio/workflow';
import { control, type RolloutRun } from './rollout-run';

/**
 * After a halted wave went back: the commit is marked bad with the rollout's reasons. Unreachable clusters and
 * failed fetches say nothing about the commit: it is marked bad only for its own health or validity.
 */
export async function markCommitIfAtFault(run: RolloutRun, lastGood: Record<string, string | undefined>, atFault: boolean): Promise<void> {
  const { status, commit } = run;
  if (patched('bad-only-for-own-fault') && !atFault) {
    await run.event(`not marking ${commit.slice(0, 12)} bad: no cluster refused it or found it unhealthy`);
    await control.restoreLastGood({ commit, previousLastGood: lastGood });
    return;
  }
  await control.markCommitBad({ commit, reason: status.reasons.join('; '), previousLastGood: lastGood });
}
