import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { PayoutStore } from '../../stores/payout-store';
import { approvePayoutUpdate } from '../../workflows/payout-messages';
import type { BatchSimulation, PayoutPlan, PayoutStatus } from '../../workflows/payout-types';
import { payoutWorkflowId } from '../../workflows/task-queues';
import type { ConsoleContext } from '../console-context';
import { payoutDryRun, payoutStatusOf, type PayoutDryRun } from '../payout-status';
import { RequestError } from './console-http';

/** A month's payout as the console shows it: the same status `lucid payout status` and `preview` print. */
export interface PayoutMonthView {
  month: string;
  /** The month's payout workflow (`lucid payout run`), once started. */
  payout: PayoutStatus | null;
  /** The statement the payout sealed: every line with what it earned and carried. */
  statement: PayoutPlan | null;
  /** The last dry run of the month: its statement and each batch simulated on chain. */
  dryRun: { plan: PayoutPlan; simulations: BatchSimulation[]; passed: boolean; at: string } | null;
}

/** How long the console waits for a dry run before telling the operator to come back; the run goes on regardless. */
const DRY_RUN_WAIT_MS = 90_000;

export class PayoutsData {
  constructor(private readonly ctx: ConsoleContext) {}

  async month(month: string): Promise<PayoutMonthView> {
    const store = new PayoutStore(await this.ctx.db());
    const [payout, sealed, dry] = await Promise.all([payoutStatusOf(await this.ctx.temporal(), month), store.sealed(month), store.dryRun(month)]);
    return {
      month,
      payout: payout ?? null,
      statement: sealed?.plan ?? null,
      dryRun: dry ? { plan: dry.plan, simulations: dry.simulations, passed: dry.passed, at: dry.at.toISOString() } : null,
    };
  }

  /** `lucid payout preview`: nothing is signed. */
  async dryRun(month: string): Promise<PayoutDryRun> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RequestError(504, 'dry-run', `the dry run of ${month} is still running after ${DRY_RUN_WAIT_MS / 1000} s: reload the page later`)), DRY_RUN_WAIT_MS);
    });
    try {
      return await Promise.race([payoutDryRun(await this.ctx.temporal(), await this.ctx.db(), month), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The payout's approve update, carrying the operator; the workflow refuses one not among the policy's approvers. */
  async approve(month: string, by: string): Promise<PayoutStatus> {
    const handle = (await this.ctx.temporal()).workflow.getHandle(payoutWorkflowId(month));
    try {
      return await handle.executeUpdate(approvePayoutUpdate, { args: [{ by }] });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new RequestError(404, 'month', `no payout for ${month} is running`);
      if (err instanceof WorkflowUpdateFailedError) throw new RequestError(409, 'approve', err.cause?.message ?? err.message);
      throw err;
    }
  }
}
