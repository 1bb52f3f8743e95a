import { fixedChunks } from '../../sessions/chunker';

async function sizes(total: number, size: number, pieces = 7): Promise<number[]> {
  const data = Buffer.alloc(total, 1);
  async function* source() {
    for (let o = 0; o < total; o += pieces) yield data.subarray(o, Math.min(total, o + pieces));
  }
  const out: number[] = [];
  for await (const c of fixedChunks(source(), size)) out.push(c.length);
  return out;
}

describe('fixedChunks', () => {
  it('an exact multiple of the chunk size gives full chunks only', async () => {
    expect(await sizes(30, 10)).toEqual([10, 10, 10]);
  });

  it('one byte over gives a last chunk of one byte', async () => {
    expect(await sizes(31, 10)).toEqual([10, 10, 10, 1]);
  });

  it('empty input gives no chunk', async () => {
    expect(await sizes(0, 10)).toEqual([]);
  });

  it('keeps bytes and order across pieces that straddle chunk boundaries', async () => {
    const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
    async function* source() {
      for (let o = 0; o < data.length; o += 13) yield data.subarray(o, o + 13);
    }
    const chunks: Buffer[] = [];
    for await (const c of fixedChunks(source(), 64)) chunks.push(Buffer.from(c));
    expect(Buffer.concat(chunks)).toEqual(data);
  });

  it('refuses a chunk size that is not a positive integer', async () => {
    await expect(sizes(10, 0)).rejects.toThrow(/positive integer/);
  });
});
