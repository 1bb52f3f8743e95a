import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The node-data-host's encrypted chunk store: a directory of ciphertexts named
 * by their BLAKE3 leaf hash. Writes are atomic (temp file, fsync, rename,
 * fsync of the directory), so a crash leaves either the whole chunk or none.
 */
export class ChunkStore {
  constructor(readonly root: string) {}

  pathOf(leaf: string): string {
    if (!/^[0-9a-f]{64}$/.test(leaf)) throw new Error(`not a chunk address: ${leaf}`);
    return path.join(this.root, leaf.slice(0, 2), leaf);
  }

  /** Async, so the write and its fsyncs run on libuv's pool while the main thread seals the next chunk. */
  async put(leaf: string, data: Buffer): Promise<void> {
    if (fs.existsSync(this.pathOf(leaf))) return; // content-addressed: the same name is the same bytes
    await this.write(leaf, data);
  }

  /** Writes the chunk over whatever is under its name: a repair of a copy gone bad, from bytes checked against the leaf. */
  restore(leaf: string, data: Buffer): Promise<void> {
    return this.write(leaf, data);
  }

  private async write(leaf: string, data: Buffer): Promise<void> {
    const file = this.pathOf(leaf);
    const dir = path.dirname(file);
    await fs.promises.mkdir(dir, { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    const fh = await fs.promises.open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.promises.rename(tmp, file);
    const dirHandle = await fs.promises.open(dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  }

  get(leaf: string): Buffer | undefined {
    try {
      return fs.readFileSync(this.pathOf(leaf));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }
}
