import { WorkflowFailedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import { PayoutStore } from '../stores/payout-store';
import { startPayout } from '../triggers/payout-trigger';
import { payoutStatusQuery } from '../workflows/payout-messages';
import type { BatchSimulation, PayoutStatus } from '../workflows/payout-types';
import { payoutWorkflowId } from '../workflows/task-queues';

/** A dry run's outcome: the statement as the workflow states it, and each batch simulated against the router. */
export interface PayoutDryRun extends PayoutStatus {
  simulations: BatchSimulation[];
  passed: boolean;
}

/** The month's payout status from its workflow (open or closed); undefined for a month never started. */
export async function payoutStatusOf(client: Client, month: string): Promise<PayoutStatus | undefined> {
  try {
    return await client.workflow.getHandle(payoutWorkflowId(month)).query(payoutStatusQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/** Runs the month's dry run to its end (nothing is signed) and reads back what it stored: `lucid payout preview`. */
export async function payoutDryRun(client: Client, db: Db, month: string): Promise<PayoutDryRun> {
  const { handle } = await startPayout(client, month, { dryRun: true });
  let s: PayoutStatus;
  try {
    s = await handle.result();
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    s = await handle.query(payoutStatusQuery);
  }
  const stored = await new PayoutStore(db).dryRun(month);
  return { ...s, simulations: stored?.simulations ?? [], passed: stored?.passed ?? false };
}
