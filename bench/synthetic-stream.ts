import { randomBytes } from 'node:crypto';

export const MIB = 1024 * 1024;

/** Compressible blocks: text-like lines with a counter; random blocks: fresh bytes from a pool. */
const compressible = Buffer.from(Array.from({ length: MIB / 64 }, (_, i) => `frame ${String(i).padStart(8, '0')} delta=0 ref=prev mb=skip\n`.padEnd(64, '.')).join(''));
const random = randomBytes(16 * MIB);

/** A recording's stand-in: half compressible, half random, in alternating 1 MiB blocks. */
export async function* syntheticStream(total: number): AsyncGenerator<Buffer> {
  for (let off = 0, block = 0; off < total; off += MIB, block++) {
    const n = Math.min(MIB, total - off);
    yield block % 2 === 0 ? compressible.subarray(0, n) : random.subarray((block * MIB) % (15 * MIB), ((block * MIB) % (15 * MIB)) + n);
  }
}
