import type { RouterName } from '../chain/payout-chain';
import { ConfigError } from '../config/config-error';
import { CONFIG_PATHS } from '../config/config-files';
import type { PayoutAddress } from '../config/payout-addresses';
import type { PayoutPolicy, Reason } from '../config/payout-policy';
import type { NodeUsage } from './aggregation';

const SECONDS_PER_HOUR = 3600n;
const BYTES_PER_GB = 1_000_000_000n;

/** One node's line of a month's statement, in base units. */
export interface StatementLine {
  node: string;
  address: PayoutAddress;
  usage: NodeUsage;
  /** Earned this month by the policy's rates. */
  earned: bigint;
  /** Carried over from earlier months (under the minimum then). */
  carryIn: bigint;
  /** Paid now: earned + carryIn, or 0 when that is under the minimum. */
  amount: bigint;
  /** Carried to next month. */
  carryOut: bigint;
  reasons: Reason[];
  router: RouterName;
}

/** Rates apply to whole seconds and bytes, rounded down once per node, so a statement never pays a fraction twice. */
export function earnings(usage: NodeUsage, policy: PayoutPolicy): bigint {
  const seconds = BigInt(Math.floor(usage.seconds));
  return (seconds * policy.rates.perRecordedHour) / SECONDS_PER_HOUR + (BigInt(usage.bytes) * policy.rates.perGB) / BYTES_PER_GB;
}

/**
 * The month's statement: one line per node that earned something or has a carry-over. A node that earned but has
 * no payout address is refused (naming the file and field), before anything is simulated or signed.
 */
export function buildStatement(input: {
  usage: NodeUsage[];
  carryIn: ReadonlyMap<string, bigint>;
  addresses: ReadonlyMap<string, PayoutAddress>;
  policy: PayoutPolicy;
}): StatementLine[] {
  const { policy } = input;
  const usage = new Map(input.usage.map((u) => [u.node, u]));
  for (const node of input.carryIn.keys()) if (!usage.has(node)) usage.set(node, { node, sessions: 0, seconds: 0, bytes: 0, unpaid: 0 });
  const lines: StatementLine[] = [];
  for (const node of [...usage.keys()].sort()) {
    const u = usage.get(node)!;
    const earned = earnings(u, policy);
    const carryIn = input.carryIn.get(node) ?? 0n;
    const due = earned + carryIn;
    if (due === 0n) continue;
    const address = input.addresses.get(node);
    if (!address) throw new ConfigError(CONFIG_PATHS.payoutAddresses, `nodes.${node}`, `node ${node} earned this month but has no payout address`);
    const paid = due >= policy.minimumPayout;
    const reasons: Reason[] = [];
    if (u.seconds > 0 && policy.rates.perRecordedHour > 0n) reasons.push('session-hours');
    if (u.bytes > 0 && policy.rates.perGB > 0n) reasons.push('session-gb');
    if (carryIn > 0n || !paid) reasons.push('carry-over');
    const amount = paid ? due : 0n;
    lines.push({
      node,
      address,
      usage: u,
      earned,
      carryIn,
      amount,
      carryOut: paid ? 0n : due,
      reasons,
      router: amount >= policy.routing.kycAbove ? 'PRKYC' : 'PR0',
    });
  }
  return lines;
}

export function statementTotal(lines: readonly StatementLine[]): bigint {
  return lines.reduce((sum, l) => sum + l.amount, 0n);
}
