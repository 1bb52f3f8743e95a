import { ApplicationFailure } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { isPayoutMonth, monthBounds } from '../../common/payout-month';
import { ConfigError } from '../../config/config-error';
import { loadLimits } from '../../config/limits';
import { loadPayoutAddresses } from '../../config/payout-addresses';
import { loadPayoutPolicy } from '../../config/payout-policy';
import { planPayout } from '../../payouts/payout-plan';
import type { PayoutStore } from '../../stores/payout-store';
import type { SessionStore } from '../../stores/session-store';
import { enablePayoutSchedule } from '../../triggers/payout-schedule';
import type { BatchReceipt, BatchSimulation, PayoutApproval, PayoutPlan, PayoutState, PlannedBatch, SignedPayoutTx } from '../../workflows/payout-types';
import { configFailure } from '../config-failure';

export interface PayoutControlDeps {
  payouts: PayoutStore;
  sessions: SessionStore;
  client: Client;
  /** The config repo's branch head, materialised: where the policy and the payout addresses are read. */
  headTree: () => Promise<string>;
}

/** Failure type of a payout refused before anything is signed (bad policy, address or month). */
export const PAYOUT_REFUSED = 'PayoutRefused';

function checkedMonth(month: string): string {
  if (!isPayoutMonth(month)) throw ApplicationFailure.nonRetryable(`'${month}' is not a month (YYYY-MM)`, PAYOUT_REFUSED);
  return month;
}

/** The payout plane's control side: statements and receipts in MongoDB. It never holds the payout key. */
export function createPayoutControlActivities(deps: PayoutControlDeps) {
  const { payouts, sessions } = deps;
  return {
    /**
     * The month's plan. A run seals it on first use, and every later run of the month (a retry, the Schedule after a
     * manual run) pays the sealed statement under the same batch ids; a dry run always computes afresh.
     */
    async preparePayout(input: { month: string; chain: string; dryRun: boolean }): Promise<PayoutPlan> {
      const month = checkedMonth(input.month);
      if (!input.dryRun) {
        const sealed = await payouts.sealed(month);
        if (sealed) return sealed.plan;
      }
      try {
        const tree = await deps.headTree();
        const limits = loadLimits(tree);
        const policy = loadPayoutPolicy(tree, limits);
        const addresses = loadPayoutAddresses(tree, limits);
        const { start, end } = monthBounds(month);
        const recorded = await sessions.endedBetween(start, end);
        const history = await payouts.paidBefore(month, policy.breakers.surgeMonths);
        const { plan } = planPayout({
          month,
          chain: input.chain,
          sessions: recorded.map((s) => ({ ...s, anchored: s.anchored !== undefined, failed: s.failure !== undefined })),
          carryIn: await payouts.carryInto(month),
          addresses,
          policy,
          history: {
            lastAddresses: new Map((history[0]?.plan.nodes ?? []).filter((n) => n.amount !== '0').map((n) => [n.node, n.address])),
            lastTotals: history.map((h) => BigInt(h.plan.total)),
          },
        });
        return input.dryRun ? plan : await payouts.seal(plan);
      } catch (err) {
        if (err instanceof ConfigError) throw configFailure(err, `payout ${month} refused`);
        throw err;
      }
    },

    /** Stored for `lucid payout preview`; a passing dry run unpauses the monthly Schedule. */
    async recordPayoutDryRun(input: { plan: PayoutPlan; simulations: BatchSimulation[]; passed: boolean }): Promise<void> {
      await payouts.recordDryRun({ month: input.plan.month, ...input });
      if (input.passed) await enablePayoutSchedule(deps.client, input.plan.month);
    },

    async recordPayoutState(input: { month: string; state: PayoutState; approvals: PayoutApproval[] }): Promise<void> {
      await payouts.setState(input.month, input.state, input.approvals);
    },

    async signedPayoutOf(input: { batchId: string }): Promise<SignedPayoutTx | null> {
      return (await payouts.signedOf(input.batchId)) ?? null;
    },

    /** Stored before the first broadcast: a retry sends these bytes, never a second signature for the same nonce. */
    async recordSignedPayout(input: { month: string; signed: SignedPayoutTx }): Promise<void> {
      await payouts.recordSigned(input.month, input.signed);
    },

    async recordPayoutReceipt(input: { month: string; batch: PlannedBatch; receipt: BatchReceipt }): Promise<void> {
      const sealed = await payouts.sealed(input.month);
      const reasonsOf = new Map((sealed?.plan.nodes ?? []).map((n) => [n.node, n.reasons]));
      const lines = input.batch.lines.map((l) => ({ node: l.node, reasonNames: reasonsOf.get(l.node) ?? [] }));
      await payouts.recordReceipt(input.month, input.receipt, lines);
    },

    /** The statement paid: its carry-overs become the balance the next month starts from. */
    async markPayoutPaid(input: { month: string }): Promise<void> {
      const sealed = await payouts.sealed(input.month);
      if (!sealed) throw ApplicationFailure.nonRetryable(`payout ${input.month}: no sealed statement to mark paid`, PAYOUT_REFUSED);
      await payouts.markPaid(input.month, sealed.plan.nodes.map((n) => ({ node: n.node, amount: n.carryOut })));
    },
  };
}

export type PayoutControlActivities = ReturnType<typeof createPayoutControlActivities>;
