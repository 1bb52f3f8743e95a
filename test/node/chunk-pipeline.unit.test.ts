import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ChunkOpener, ChunkSealer, type ChunkRecord } from '../../sessions/chunk-codec';
import { ChunkPipeline } from '../../sessions/chunk-pipeline';
import { ChunkStore } from '../../sessions/chunk-store';
import { JournalSupersededError, SessionJournal } from '../../sessions/session-journal';
import { ZstdThread } from '../../sessions/zstd-thread';
import { Decompressor } from 'zstd-napi';

const key = Buffer.alloc(32, 7);
let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-pipeline-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Chunks of mixed content and sizes, so compression times differ from chunk to chunk. */
const media = (i: number) => (i % 2 === 0 ? Buffer.alloc(200_000 + i * 1000, i) : randomBytes(50_000 + i * 997));

describe('ZstdThread', () => {
  it('compresses off the main thread to what zstd decompresses back, in request order, taking owned buffers over', async () => {
    const zstd = new ZstdThread(3);
    const inputs = [0, 1, 2, 3, 4].map(media);
    const copies = inputs.map((b) => Buffer.from(b));
    const outs = await Promise.all(inputs.map((b) => zstd.compress(b)));
    await zstd.close();
    const unzstd = new Decompressor();
    // Buffer.equals, not toEqual: jest compares buffers byte by byte in JS, seconds for these sizes.
    expect(outs.map((o, i) => unzstd.decompress(o).equals(copies[i]!))).toEqual(copies.map(() => true));
    expect(inputs[0]!.byteLength).toBe(0); // handed to the thread, not copied
    await expect(zstd.compress(Buffer.from('late'))).rejects.toThrow(/closed/);
  });
});

describe('ChunkPipeline', () => {
  it('journals every chunk in index order, each only once it is in the store, and they read back', async () => {
    const store = new ChunkStore(path.join(dir, 'store'));
    const journal = new SessionJournal(path.join(dir, 'journal'), 's');
    const sealer = new ChunkSealer(key, 's', store, 3);
    const seen: ChunkRecord[] = [];
    const pipeline = new ChunkPipeline(sealer, journal, journal.claim(), (r) => {
      expect(fs.existsSync(store.pathOf(r.leaf))).toBe(true);
      seen.push(r);
    });
    const originals = Array.from({ length: 12 }, (_, i) => media(i));
    for (const [i, m] of originals.entries()) await pipeline.push(i, Buffer.from(m));
    await pipeline.drain();
    await sealer.close();
    expect(seen.map((r) => r.index)).toEqual([...originals.keys()]);
    expect(journal.read()).toEqual(seen);
    const opener = new ChunkOpener(key, 's', store);
    expect(seen.map((r) => opener.open(r).equals(originals[r.index]!))).toEqual(originals.map(() => true));
  });

  it('holds at most `depth` chunks in flight', async () => {
    const journal = new SessionJournal(path.join(dir, 'journal'), 's');
    const sealer = new ChunkSealer(key, 's', new ChunkStore(path.join(dir, 'store')), 3);
    let journaled = 0;
    const pipeline = new ChunkPipeline(sealer, journal, journal.claim(), () => journaled++, 3);
    for (let i = 0; i < 10; i++) {
      await pipeline.push(i, media(i));
      expect(i + 1 - journaled).toBeLessThan(3);
    }
    await pipeline.drain();
    await sealer.close();
    expect(journaled).toBe(10);
  });

  it('stops at a journal another attempt took over: the failure surfaces, and no line is written after it', async () => {
    const journal = new SessionJournal(path.join(dir, 'journal'), 's');
    const sealer = new ChunkSealer(key, 's', new ChunkStore(path.join(dir, 'store')), 3);
    const pipeline = new ChunkPipeline(sealer, journal, journal.claim(), () => undefined, 3);
    await pipeline.push(0, media(0));
    await pipeline.drain();
    new SessionJournal(path.join(dir, 'journal'), 's').claim();
    const failed = (async () => {
      for (let i = 1; i < 8; i++) await pipeline.push(i, media(i));
      await pipeline.drain();
    })();
    await expect(failed).rejects.toThrow(JournalSupersededError);
    await pipeline.settle();
    await sealer.close();
    expect(journal.read().map((r) => r.index)).toEqual([0]);
  });
});
