import { ApplicationFailure, condition, executeChild, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { PayoutControlActivities } from '../activities/control/payout-activities';
import type { WalletActivities } from '../activities/wallet/wallet-activities';
import { rootCause } from './failure-cause';
import { approvePayoutUpdate, payoutStatusQuery } from './payout-messages';
import { payoutBatch } from './payout-batch';
import type { MonthlyPayoutInput, PayoutPlan, PayoutState, PayoutStatus } from './payout-types';
import { SEARCH_ATTRIBUTES as SA } from './search-attributes';
import { CONTROL_QUEUE, WALLET_QUEUE, payoutBatchWorkflowId } from './task-queues';

const wallet = proxyActivities<WalletActivities>({
  taskQueue: WALLET_QUEUE,
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '30s', nonRetryableErrorTypes: ['PayoutRefused'] },
});
const control = proxyActivities<PayoutControlActivities>({
  taskQueue: CONTROL_QUEUE,
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '30s', nonRetryableErrorTypes: ['ConfigError', 'PayoutRefused'] },
});

/**
 * payout-<YYYY-MM>: aggregate the month's anchored sessions, state what each node is owed, simulate it on chain,
 * trip the breakers, wait for approval, then pay batch by batch through the wallet plane. A dry run stops after
 * the simulation (and, when it passes, lets the monthly Schedule pay).
 */
export async function monthlyPayout(input: MonthlyPayoutInput): Promise<PayoutStatus> {
  const { month } = input;
  const status: PayoutStatus = { month, state: 'previewing', total: '0', nodes: [], txs: [], approvals: [], holdReasons: [] };
  let plan: PayoutPlan | undefined;
  setHandler(payoutStatusQuery, () => status);
  setHandler(
    approvePayoutUpdate,
    ({ by }) => {
      status.approvals.push({ by, at: new Date().toISOString() });
      return status;
    },
    {
      validator: ({ by }) => {
        if (status.state !== 'held' && status.state !== 'awaiting-approval') throw new Error(`payout ${month} is not waiting for approval (${status.state})`);
        if (!plan!.approvers.includes(by)) throw new Error(`'${by}' is not an approver of the payout policy (${plan!.approvers.join(', ')})`);
        if (status.approvals.some((a) => a.by === by)) throw new Error(`${by} approved payout ${month} already: another approver must`);
      },
    },
  );
  upsertSearchAttributes([{ key: SA.month, value: month }]);
  const enter = async (state: PayoutState) => {
    status.state = state;
    if (!input.dryRun) await control.recordPayoutState({ month, state, approvals: status.approvals });
  };

  try {
    const { chain } = await wallet.payoutWallet();
    plan = await control.preparePayout({ month, chain, dryRun: input.dryRun === true });
    Object.assign(status, {
      total: plan.total,
      token: plan.token,
      nodes: plan.nodes.map((n) => ({ node: n.node, address: n.address, amount: n.amount, reasons: n.reasons })),
      holdReasons: [...plan.holdReasons],
    });
    const simulations = await wallet.simulatePayouts({ batches: plan.batches });
    // A batch paid by an earlier run simulates as "already paid": that is the month going on, not a failure.
    const refusals = simulations.flatMap((s) => (s.ok || s.reason === 'already-paid' ? [] : [`dry run: batch ${s.batchId} refused (${s.reason}): ${s.message}`]));
    if (input.dryRun) {
      await control.recordPayoutDryRun({ plan, simulations, passed: refusals.length === 0 });
      status.holdReasons.push(...refusals);
      return status;
    }
    if (refusals.length > 0) throw ApplicationFailure.nonRetryable(refusals.join('; '), 'PayoutRefused');

    const needed = plan.approvalsNeeded;
    if (needed > 0) {
      await enter(status.holdReasons.length > 0 ? 'held' : 'awaiting-approval');
      await condition(() => status.approvals.length >= needed);
    }
    await enter('submitting');
    for (const batch of plan.batches) {
      const result = await executeChild(payoutBatch, {
        workflowId: payoutBatchWorkflowId(batch.batchId),
        args: [{ month, batch, confirmations: plan.confirmations }],
      });
      await control.recordPayoutReceipt({ month, batch, receipt: result.receipt });
      if (result.receipt.txHash) status.txs.push(result.receipt.txHash);
    }
    await control.markPayoutPaid({ month });
    status.state = 'paid';
    return status;
  } catch (err) {
    status.state = 'failed';
    status.error = rootCause(err);
    if (!input.dryRun && plan) await control.recordPayoutState({ month, state: 'failed', approvals: status.approvals });
    throw err;
  }
}
