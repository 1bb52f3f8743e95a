import { encodeFunctionData, type Hex } from 'viem';
import { z } from 'zod';
import { hash32 } from '../anchoring/batch-tree';
import { addressSchema } from './anchor-chain';
import { lucidPayoutRouterAbi } from './lucid-payout-router-abi';
import type { PayBatch } from './payout-chain';

const UINT256_MAX = 2n ** 256n - 1n;

const payBatchSchema = z.object({
  router: z.enum(['PR0', 'PRKYC']),
  batchId: hash32,
  lines: z.array(
    z.object({
      recipient: addressSchema,
      amount: z.bigint().positive('must be above zero').max(UINT256_MAX, 'must fit in a uint256'),
      reasons: hash32,
    }),
  ),
});

/**
 * The batch checked at the chain's boundary: a malformed id, address or amount is refused here,
 * naming the batch and the line, before anything is encoded or signed. An empty batch passes:
 * the router refuses it, and the dry run says so.
 */
export function parsePayBatch(batch: PayBatch): PayBatch {
  const b = payBatchSchema.safeParse(batch);
  if (!b.success) {
    const i = b.error.issues[0]!;
    throw new Error(`payout batch ${String((batch as { batchId?: unknown }).batchId)}: ${i.path.join('.')}: ${i.message}`);
  }
  return b.data;
}

/** `payBatch`'s arguments, in the order the router takes them. */
export function payBatchArgs(batch: PayBatch): readonly [Hex, Hex[], bigint[], Hex[]] {
  const b = parsePayBatch(batch);
  return [b.batchId, b.lines.map((l) => l.recipient), b.lines.map((l) => l.amount), b.lines.map((l) => l.reasons)];
}

/**
 * `payBatch(batchId, recipients, amounts, reasons)`'s call data: byte-equal on the EVM chain and
 * on TRON, where a recipient is its 20-byte form inside the ABI encoding too.
 */
export function encodePayBatch(batch: PayBatch): Hex {
  const [batchId, recipients, amounts, reasons] = payBatchArgs(batch);
  return encodeFunctionData({ abi: lucidPayoutRouterAbi, functionName: 'payBatch', args: [batchId, recipients, amounts, reasons] });
}
