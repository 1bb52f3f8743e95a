/**
 * Bech32 (BIP 173, not bech32m) as age uses it for `AGE-SECRET-KEY-1…` identities: no 90-character
 * limit, one case throughout, checksum over the lower-cased prefix.
 */
const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

export interface Bech32 {
  /** The human-readable prefix, in the case it was written. */
  prefix: string;
  data: Buffer;
}

/** Throws an Error naming what is wrong, never echoing the input (it may be a secret key). */
export function decodeBech32(text: string): Bech32 {
  if (text.toLowerCase() !== text && text.toUpperCase() !== text) throw new Error('mixed case');
  const sep = text.lastIndexOf('1');
  if (sep < 1 || sep + 7 > text.length) throw new Error('separator 1 missing or misplaced');
  const prefix = text.slice(0, sep);
  if (!/^[\x21-\x7e]+$/.test(prefix)) throw new Error('invalid character in the prefix');
  const words: number[] = [];
  for (const c of text.slice(sep + 1).toLowerCase()) {
    const w = CHARSET.indexOf(c);
    if (w < 0) throw new Error('invalid character in the data part');
    words.push(w);
  }
  if (polymod([...expandPrefix(prefix), ...words]) !== 1) throw new Error('invalid checksum');
  return { prefix, data: fiveToEightBits(words.slice(0, -6)) };
}

/** Lower-case encoding, as age writes `age1…` recipients. */
export function encodeBech32(prefix: string, data: Uint8Array): string {
  const words = eightToFiveBits(data);
  const chk = polymod([...expandPrefix(prefix), ...words, 0, 0, 0, 0, 0, 0]) ^ 1;
  const checksum = [0, 1, 2, 3, 4, 5].map((p) => (chk >>> (5 * (5 - p))) & 31);
  return `${prefix.toLowerCase()}1${[...words, ...checksum].map((w) => CHARSET[w]).join('')}`;
}

function expandPrefix(prefix: string): number[] {
  const codes = [...prefix.toLowerCase()].map((c) => c.charCodeAt(0));
  return [...codes.map((c) => c >> 5), 0, ...codes.map((c) => c & 31)];
}

function polymod(values: number[]): number {
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = (((chk & 0x1ffffff) << 5) ^ v) >>> 0;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk = (chk ^ GENERATOR[i]) >>> 0;
  }
  return chk;
}

function fiveToEightBits(words: number[]): Buffer {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const w of words) {
    acc = ((acc << 5) | w) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
  }
  // Leftover bits must be fewer than five and all zero, or two encodings would decode to one key.
  if (bits >= 5 || (acc & ((1 << bits) - 1)) !== 0) throw new Error('invalid padding');
  return Buffer.from(out);
}

function eightToFiveBits(data: Uint8Array): number[] {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const b of data) {
    acc = ((acc << 8) | b) & 0x1fff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push((acc >> bits) & 31);
    }
  }
  if (bits > 0) out.push((acc << (5 - bits)) & 31);
  return out;
}
