import { encodeAbiParameters, keccak256, type Hex } from 'viem';
import type { PayoutLine, RouterName } from '../chain/payout-chain';
import type { PayoutPolicy } from '../config/payout-policy';
import { encodeReasons } from './reason-codes';
import type { StatementLine } from './statement';

export interface PlannedLine extends PayoutLine {
  node: string;
}

export interface Batch {
  batchId: Hex;
  router: RouterName;
  lines: PlannedLine[];
  total: bigint;
}

const LINES = [{ type: 'tuple[]', components: [{ type: 'address' }, { type: 'uint256' }, { type: 'bytes32' }] }] as const;
const BATCH_KEY = [{ type: 'string' }, { type: 'string' }, { type: 'string' }, { type: 'string' }, { type: 'bytes32' }] as const;

/**
 * The business key of a batch: (chain, period, router, its lines). Any run of the same month's sealed statement
 * finds the same ids, and the router refuses an id it has paid.
 */
export function batchIdOf(chain: string, month: string, router: RouterName, lines: readonly PayoutLine[]): Hex {
  const statement = keccak256(encodeAbiParameters(LINES, [lines.map((l) => [l.recipient, l.amount, l.reasons] as const)]));
  return keccak256(encodeAbiParameters(BATCH_KEY, ['lucid-payout:v1', chain, month, router, statement]));
}

/**
 * The statement's paid lines split into payBatch calls: per router, in node order, each at most `batchSize`
 * recipients and the per-batch cap (a line alone over the cap gets a batch of its own, which the breakers hold).
 */
export function planBatches(chain: string, month: string, statement: readonly StatementLine[], policy: PayoutPolicy): Batch[] {
  const batches: Batch[] = [];
  for (const router of ['PR0', 'PRKYC'] as const) {
    let lines: PlannedLine[] = [];
    let total = 0n;
    const close = () => {
      if (lines.length > 0) batches.push({ batchId: batchIdOf(chain, month, router, lines), router, lines, total });
      lines = [];
      total = 0n;
    };
    for (const l of statement) {
      if (l.amount === 0n || l.router !== router) continue;
      if (lines.length >= policy.batchSize || (lines.length > 0 && total + l.amount > policy.caps.perBatch)) close();
      lines.push({ node: l.node, recipient: l.address.evm, amount: l.amount, reasons: encodeReasons(l.reasons, policy.reasons) });
      total += l.amount;
    }
    close();
  }
  return batches;
}
