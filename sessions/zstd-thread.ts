import { Worker } from 'node:worker_threads';

/**
 * The thread's code, evaluated rather than loaded from a file so the same source runs from dist/ and under jest's
 * TypeScript transform. It holds one compressor for the session, so every chunk is compressed with the same
 * parameters; replies come back in request order (one thread, one queue).
 */
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const { Compressor } = require(workerData.zstd);
const zstd = new Compressor();
zstd.setParameters({ compressionLevel: workerData.level });
parentPort.on('message', ({ id, media }) => {
  try {
    const out = zstd.compress(Buffer.from(media.buffer, media.byteOffset, media.byteLength));
    const owned = out.byteOffset === 0 && out.byteLength === out.buffer.byteLength;
    parentPort.postMessage({ id, out }, owned ? [out.buffer] : []);
  } catch (err) {
    parentPort.postMessage({ id, error: String(err && err.message || err) });
  }
});
`;

/**
 * zstd on a thread of its own, so a chunk compresses while the one before it is sealed, hashed and written on the
 * main thread: compression is the slowest stage of the session pipeline, and a Pi 5 has four cores.
 */
export class ZstdThread {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: (b: Buffer) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private failure: Error | undefined;

  constructor(level: number) {
    this.worker = new Worker(THREAD, { eval: true, workerData: { zstd: require.resolve('zstd-napi'), level } });
    this.worker.on('message', (m: { id: number; out?: Uint8Array; error?: string }) => {
      const w = this.waiting.get(m.id)!;
      this.waiting.delete(m.id);
      if (this.waiting.size === 0) this.worker.unref();
      if (m.error !== undefined) w.reject(new Error(`zstd: ${m.error}`));
      else w.resolve(Buffer.from(m.out!.buffer, m.out!.byteOffset, m.out!.byteLength));
    });
    this.worker.on('error', (err) => this.fail(new Error(`zstd thread: ${err.message}`)));
    this.worker.on('exit', (code) => this.fail(new Error(`zstd thread exited with ${code}`)));
    // Referenced only while a chunk is on it: an idle compressor must not keep a finished process alive.
    this.worker.unref();
  }

  /**
   * Compresses `media` on the thread. A buffer that owns its whole memory is handed over rather than copied, so
   * the caller must not use it afterwards.
   */
  compress(media: Buffer): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const owned = media.byteOffset === 0 && media.byteLength === media.buffer.byteLength && media.buffer instanceof ArrayBuffer;
    return new Promise<Buffer>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.ref();
      if (owned) this.worker.postMessage({ id, media }, [media.buffer as ArrayBuffer]);
      else this.worker.postMessage({ id, media });
    });
  }

  async close(): Promise<void> {
    this.failure ??= new Error('zstd thread closed');
    await this.worker.terminate();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const w of this.waiting.values()) w.reject(this.failure);
    this.waiting.clear();
  }
}
