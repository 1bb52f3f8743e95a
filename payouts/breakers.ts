import { formatTokenAmount } from '../common/token-amount';
import type { PayoutPolicy } from '../config/payout-policy';
import type { Batch } from './batch-plan';
import type { StatementLine } from './statement';

export interface PayoutHistory {
  /** Each node's TRON address as the last paid statement had it. */
  lastAddresses: ReadonlyMap<string, string>;
  /** Totals of the latest paid months, newest first. */
  lastTotals: readonly bigint[];
}

/**
 * The circuit breakers: any reason here holds the payout until it is approved. They read only the statement, the
 * policy and what earlier months paid, so a dry run shows exactly what a run would hold.
 */
export function tripBreakers(statement: readonly StatementLine[], batches: readonly Batch[], policy: PayoutPolicy, history: PayoutHistory): string[] {
  const fmt = (v: bigint) => `${formatTokenAmount(v, policy.token.decimals)} ${policy.token.symbol}`;
  const reasons: string[] = [];
  const total = statement.reduce((s, l) => s + l.amount, 0n);
  if (total > policy.caps.perMonth) reasons.push(`total ${fmt(total)} is over the monthly cap of ${fmt(policy.caps.perMonth)}`);
  for (const l of statement) {
    if (l.amount > policy.caps.perNodePerMonth) reasons.push(`node ${l.node}: ${fmt(l.amount)} is over the per-node cap of ${fmt(policy.caps.perNodePerMonth)}`);
    if (l.router === 'PRKYC' && !policy.routing.kyc.includes(l.node)) {
      reasons.push(`node ${l.node}: ${fmt(l.amount)} needs the KYC router but the node is not on the policy's KYC list`);
    }
    const before = history.lastAddresses.get(l.node);
    if (l.amount > 0n && before && before !== l.address.tron) {
      reasons.push(`node ${l.node}: payout address changed since last month (to ${l.address.tron})`);
    }
  }
  for (const b of batches) if (b.total > policy.caps.perBatch) reasons.push(`batch ${b.batchId}: ${fmt(b.total)} is over the per-batch cap of ${fmt(policy.caps.perBatch)}`);
  const recent = history.lastTotals.slice(0, policy.breakers.surgeMonths);
  if (recent.length > 0) {
    const mean = recent.reduce((s, t) => s + t, 0n) / BigInt(recent.length);
    // Scaled by 1000 so a fractional factor compares in integers.
    if (mean > 0n && total * 1000n > mean * BigInt(Math.round(policy.breakers.surgeFactor * 1000))) {
      reasons.push(`total ${fmt(total)} is over ${policy.breakers.surgeFactor}x the mean of the last ${recent.length} paid months (${fmt(mean)})`);
    }
  }
  return reasons;
}

/** Approvals the payout needs: two distinct approvers above the threshold, one for a hold, else the policy's default. */
export function approvalsNeeded(total: bigint, held: boolean, policy: PayoutPolicy): 0 | 1 | 2 {
  if (total > policy.approvals.twoApproversAbove) return 2;
  return held ? 1 : policy.approvals.required;
}
