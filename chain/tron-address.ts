import { createHash } from 'node:crypto';
import { getAddress, type Address } from 'viem';
import { z } from 'zod';

/**
 * TRON addresses: base58check of 0x41 ‖ the 20-byte EVM address, the checksum the first four
 * bytes of sha256(sha256(payload)). The same key is the same 20 bytes on both chains, and inside
 * the TVM (ABI arguments, event topics) an address is its 20-byte form, which is what Lucid
 * stores and the routers see.
 */

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const TRON_PREFIX = 0x41;

function sha256d(b: Buffer): Buffer {
  return createHash('sha256').update(createHash('sha256').update(b).digest()).digest();
}

function base58Encode(bytes: Buffer): string {
  let n = BigInt(`0x${bytes.toString('hex') || '0'}`);
  let out = '';
  while (n > 0n) {
    out = ALPHABET[Number(n % 58n)]! + out;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    out = `1${out}`;
  }
  return out;
}

/** Null when `text` has a character outside the base58 alphabet. */
function base58Decode(text: string): Buffer | null {
  let n = 0n;
  for (const c of text) {
    const d = ALPHABET.indexOf(c);
    if (d < 0) return null;
    n = n * 58n + BigInt(d);
  }
  const hex = n === 0n ? '' : n.toString(16);
  const body = Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
  const zeros = text.length - text.replace(/^1+/, '').length;
  return Buffer.concat([Buffer.alloc(zeros), body]);
}

/** Why `text` is not a TRON address, or its 20-byte EVM form. */
export function parseTronAddress(text: string): { ok: true; evm: Address } | { ok: false; reason: string } {
  if (!/^T[1-9A-HJ-NP-Za-km-z]{33}$/.test(text)) {
    return { ok: false, reason: 'must be a TRON base58check address: 34 characters starting with T, no 0, O, I or l' };
  }
  const raw = base58Decode(text);
  if (!raw || raw.length !== 25) return { ok: false, reason: 'does not decode to 25 bytes (0x41, 20-byte address, 4-byte checksum)' };
  const payload = raw.subarray(0, 21);
  if (payload[0] !== TRON_PREFIX) return { ok: false, reason: `has prefix 0x${payload[0]!.toString(16)}, not TRON's 0x41` };
  if (!sha256d(payload).subarray(0, 4).equals(raw.subarray(21))) return { ok: false, reason: 'checksum does not match (a typo?)' };
  return { ok: true, evm: getAddress(`0x${payload.subarray(1).toString('hex')}`) };
}

/** The TRON base58check form of a 20-byte EVM address. */
export function tronFromEvm(evm: Address): string {
  const payload = Buffer.concat([Buffer.from([TRON_PREFIX]), Buffer.from(getAddress(evm).slice(2), 'hex')]);
  return base58Encode(Buffer.concat([payload, sha256d(payload).subarray(0, 4)]));
}

/** The 20-byte EVM form of a TRON address; throws naming the address and why. */
export function evmFromTron(tron: string): Address {
  const r = parseTronAddress(tron);
  if (!r.ok) throw new Error(`TRON address ${tron}: ${r.reason}`);
  return r.evm;
}

/** A TRON address as written in a config file, yielding both of its forms. */
export const tronAddressSchema = z.string().transform((tron, ctx) => {
  const r = parseTronAddress(tron.trim());
  if (!r.ok) {
    ctx.addIssue({ code: 'custom', message: r.reason });
    return z.NEVER;
  }
  return { tron: tron.trim(), evm: r.evm };
});
