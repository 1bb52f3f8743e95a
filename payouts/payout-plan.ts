import type { PayoutAddress } from '../config/payout-addresses';
import type { PayoutPolicy } from '../config/payout-policy';
import type { PayoutPlan } from '../workflows/payout-types';
import { aggregateMonth, type RecordedSession } from './aggregation';
import { planBatches } from './batch-plan';
import { approvalsNeeded, tripBreakers, type PayoutHistory } from './breakers';
import { buildStatement, statementTotal, type StatementLine } from './statement';

export interface PlanInput {
  month: string;
  chain: string;
  sessions: Iterable<RecordedSession>;
  carryIn: ReadonlyMap<string, bigint>;
  addresses: ReadonlyMap<string, PayoutAddress>;
  policy: PayoutPolicy;
  history: PayoutHistory;
}

/** The whole pure side of a month: aggregate, state, split into batches, trip the breakers. */
export function planPayout(input: PlanInput): { plan: PayoutPlan; statement: StatementLine[] } {
  const { policy } = input;
  const usage = aggregateMonth(input.sessions, input.month);
  const statement = buildStatement({ usage, carryIn: input.carryIn, addresses: input.addresses, policy });
  const batches = planBatches(input.chain, input.month, statement, policy);
  const holdReasons = tripBreakers(statement, batches, policy, input.history);
  const total = statementTotal(statement);
  return {
    statement,
    plan: {
      month: input.month,
      chain: input.chain,
      token: policy.token,
      total: total.toString(),
      nodes: statement.map((l) => ({
        node: l.node,
        address: l.address.tron,
        amount: l.amount.toString(),
        earned: l.earned.toString(),
        carryIn: l.carryIn.toString(),
        carryOut: l.carryOut.toString(),
        reasons: l.reasons,
        sessions: l.usage.sessions,
        unpaid: l.usage.unpaid,
      })),
      batches: batches.map((b) => ({
        batchId: b.batchId,
        router: b.router,
        total: b.total.toString(),
        lines: b.lines.map((l) => ({ node: l.node, recipient: l.recipient, amount: l.amount.toString(), reasons: l.reasons })),
      })),
      holdReasons,
      approvalsNeeded: approvalsNeeded(total, holdReasons.length > 0, policy),
      approvers: policy.approvals.approvers,
      confirmations: policy.confirmations,
    },
  };
}
