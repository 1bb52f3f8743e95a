import type { Hex } from 'viem';
import type { Reason } from '../config/payout-policy';

/**
 * A line's reasons packed into the router's bytes32: one byte per reason code, in ascending order, zero-padded on
 * the right. 32 reasons fit; a line has at most five.
 */
export function encodeReasons(reasons: readonly Reason[], codes: Partial<Record<Reason, number>>): Hex {
  const bytes = [...new Set(reasons)].map((r) => {
    const code = codes[r];
    if (code === undefined) throw new Error(`reason '${r}' has no code in the payout policy`);
    return code;
  });
  bytes.sort((a, b) => a - b);
  return `0x${bytes.map((b) => b.toString(16).padStart(2, '0')).join('').padEnd(64, '0')}`;
}

export function decodeReasons(packed: Hex, codes: Partial<Record<Reason, number>>): Reason[] {
  const names = new Map(Object.entries(codes).map(([r, c]) => [c, r as Reason]));
  const out: Reason[] = [];
  for (let i = 2; i < packed.length; i += 2) {
    const code = parseInt(packed.slice(i, i + 2), 16);
    if (code === 0) break;
    const r = names.get(code);
    if (!r) throw new Error(`reason code ${code} of ${packed} is not in the payout policy`);
    out.push(r);
  }
  return out;
}
