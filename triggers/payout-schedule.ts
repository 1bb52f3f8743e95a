import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { CONTROL_QUEUE, PAYOUT_SCHEDULE_ID } from '../workflows/task-queues';

/** Longer than any outage worth waiting out; a month missed beyond it is paid by hand (`lucid payout run --month`). */
export const PAYOUT_CATCHUP_WINDOW = '20 days';

/**
 * `monthly-payouts`: day 1, 00:00 UTC. Created paused ("enable payouts only after dry-run"); BUFFER_ALL so a month
 * still waiting for approval delays the next one instead of dropping it. Its args carry no month: scheduledPayout
 * derives it from the scheduled time.
 */
export async function ensurePayoutSchedule(client: Client): Promise<void> {
  try {
    await client.schedule.create({
      scheduleId: PAYOUT_SCHEDULE_ID,
      spec: { calendars: [{ dayOfMonth: 1, hour: 0, minute: 0, comment: 'pays the month that just ended' }], timezone: 'UTC' },
      action: { type: 'startWorkflow', workflowType: 'scheduledPayout', workflowId: 'scheduled-payout', taskQueue: CONTROL_QUEUE, args: [] },
      policies: { overlap: ScheduleOverlapPolicy.BUFFER_ALL, catchupWindow: PAYOUT_CATCHUP_WINDOW },
      state: { paused: true, note: 'paused until a payout dry run passes (lucid payout run --dry-run)' },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
}

/** After a passing dry run: the Schedule may pay from now on. */
export async function enablePayoutSchedule(client: Client, month: string): Promise<void> {
  await ensurePayoutSchedule(client);
  const handle = client.schedule.getHandle(PAYOUT_SCHEDULE_ID);
  if ((await handle.describe()).state.paused) await handle.unpause(`dry run for ${month} passed`);
}
