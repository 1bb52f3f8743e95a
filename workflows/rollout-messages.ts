import { defineQuery, defineSignal, defineUpdate, setHandler } from '@temporalio/workflow';
import type { Approval, OperatorAction, RolloutStatus, WaveState } from './rollout-types';

// What operators send a rollout. Every caller (CLI, console, other workflows) uses these definitions.
export const statusQuery = defineQuery<RolloutStatus>('status');
export const approveUpdate = defineUpdate<Approval, [{ wave?: string; by: string }]>('approve');
export const pauseSignal = defineSignal<[OperatorAction]>('pause');
export const resumeSignal = defineSignal<[OperatorAction]>('resume');
export const abortSignal = defineSignal<[OperatorAction]>('abort');
export const supersedeSignal = defineSignal<[{ commit: string }]>('supersede');

/** From a rollout to its running wave: start no more batches. */
export const stopWaveSignal = defineSignal<[{ reason: string }]>('stopWave');
/** From a wave to its rollout: the wave's state changed (it soaks), for the rollout's status. */
export const waveStateSignal = defineSignal<[{ wave: string; state: WaveState }]>('waveState');

/** The pause, resume and abort signals by name, for commands that send any of them. */
export const operatorSignals = { pause: pauseSignal, resume: resumeSignal, abort: abortSignal } as const;

/**
 * Answers status queries, pause/resume/abort/supersede signals, approvals and the wave workflows' state.
 * Who paused, resumed or approved is in the message's payload in history.
 */
export function handleOperatorMessages(status: RolloutStatus, stopWith: (reason: string) => void): void {
  setHandler(statusQuery, () => status);
  setHandler(pauseSignal, () => void (status.paused = true));
  setHandler(resumeSignal, () => void (status.paused = false));
  setHandler(abortSignal, ({ by, reason }) => stopWith(`aborted by ${by}${reason ? `: ${reason}` : ''}`));
  setHandler(supersedeSignal, ({ commit: newer }) => stopWith(`superseded by ${newer}`));
  setHandler(waveStateSignal, ({ wave, state }) => {
    const progress = status.waves.find((w) => w.name === wave);
    if (progress) progress.state = state;
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
}
