import { ParentClosePolicy, startChild, workflowInfo } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError, defineSearchAttributeKey } from '@temporalio/common';
import { monthPaidAt } from '../common/payout-month';
import { monthlyPayout } from './monthly-payout';
import { payoutWorkflowId } from './task-queues';

/** Set by the server on every workflow a Schedule starts: the time it was scheduled for, not when it ran. */
const SCHEDULED_START = defineSearchAttributeKey('TemporalScheduledStartTime', 'DATETIME');

/**
 * The `monthly-payouts` Schedule's action: pays the month before the scheduled time (a catch-up run late on the
 * 3rd still pays the month the 1st closed) through `payout-<YYYY-MM>`, so a month already started by hand is
 * attached to, never paid twice.
 */
export async function scheduledPayout(): Promise<{ month: string; workflowId: string; attached: boolean }> {
  const info = workflowInfo();
  const scheduled = info.typedSearchAttributes.get(SCHEDULED_START) ?? info.startTime;
  const month = monthPaidAt(scheduled);
  const workflowId = payoutWorkflowId(month);
  try {
    const child = await startChild(monthlyPayout, {
      workflowId,
      args: [{ month }],
      // A paid month is never run again; a failed one may be, once its cause is fixed.
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
    // Waiting keeps BUFFER_ALL meaningful: the next month's run starts after this one ends.
    await child.result();
    return { month, workflowId, attached: false };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { month, workflowId, attached: true };
    throw err;
  }
}
