import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { MonthlyPayoutWorkflow } from '../workflows/payout-types';
import { CONTROL_QUEUE, payoutDryRunWorkflowId, payoutWorkflowId } from '../workflows/task-queues';

/**
 * Starts `payout-<month>`, or attaches to it when it runs already (the Schedule, another operator). A paid month
 * is never started again (ALLOW_DUPLICATE_FAILED_ONLY); a failed one may be, once its cause is fixed. A dry run
 * has its own id and may run as often as wanted.
 */
export async function startPayout(
  client: Client,
  month: string,
  opts: { dryRun?: boolean } = {},
): Promise<{ handle: WorkflowHandle<MonthlyPayoutWorkflow>; attached: boolean }> {
  const workflowId = opts.dryRun ? payoutDryRunWorkflowId(month) : payoutWorkflowId(month);
  try {
    const handle = await client.workflow.start<MonthlyPayoutWorkflow>('monthlyPayout', {
      workflowId,
      taskQueue: CONTROL_QUEUE,
      args: [{ month, dryRun: opts.dryRun }],
      workflowIdReusePolicy: opts.dryRun ? 'ALLOW_DUPLICATE' : 'ALLOW_DUPLICATE_FAILED_ONLY',
    });
    return { handle, attached: false };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    return { handle: client.workflow.getHandle<MonthlyPayoutWorkflow>(workflowId), attached: true };
  }
}
