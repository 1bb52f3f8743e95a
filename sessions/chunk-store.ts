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

  put(leaf: string, data: Buffer): void {
    const file = this.pathOf(leaf);
    if (fs.existsSync(file)) return; // content-addressed: the same name is the same bytes
    const dir = path.dirname(file);
    fs.mkdirSync(dir, { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    const dirFd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(dirFd);
    } finally {
      fs.closeSync(dirFd);
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
