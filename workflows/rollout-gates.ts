import { condition } from '@temporalio/workflow';
import { nextWindowStart, parseCronWindow } from '../common/change-window';
import type { RolloutRun } from './rollout-run';
import type { WavePlan, WaveProgress } from './rollout-types';

/** Holds a wave until its gates open: not paused, inside a change window, approved when it needs approval. */
export async function passGates(run: RolloutRun, wave: WavePlan, progress: WaveProgress): Promise<void> {
  const { status } = run;
  const windows = wave.windows.map(parseCronWindow);
  for (;;) {
    if (run.stop) return;
    if (status.paused) {
      await waitVisibly(run, progress, `resume (paused before wave ${wave.name})`, () => !status.paused);
      continue;
    }
    const now = new Date();
    const opens = nextWindowStart(windows, now);
    if (!opens) {
      run.stop = { state: 'aborted', reason: `wave ${wave.name}: no change window opens within a year` };
      return;
    }
    if (opens.getTime() > now.getTime()) {
      const what = `change window of wave ${wave.name} (opens ${opens.toISOString()})`;
      await waitVisibly(run, progress, what, () => false, opens.getTime() - now.getTime());
      continue;
    }
    const approved = () => status.approvals.some((a) => a.wave === wave.name);
    if (wave.approval && !approved()) {
      await waitVisibly(run, progress, `approval of wave ${wave.name}`, approved);
      continue;
    }
    return;
  }
}

/** Waits on a durable timer or condition, showing why in status and history; an abort ends the wait. */
async function waitVisibly(run: RolloutRun, progress: WaveProgress, what: string, done: () => boolean, timeoutMs?: number): Promise<void> {
  const { status } = run;
  status.state = 'waiting';
  status.waitingFor = what;
  progress.state = 'waiting';
  await run.event(`waiting for ${what}`);
  const until = () => done() || !!run.stop;
  if (timeoutMs === undefined) await condition(until);
  else await condition(until, timeoutMs);
  status.waitingFor = undefined;
}
