import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The node's durable list of a session's chunks whose copy in the bucket was read back and checked: one leaf a
 * line, appended and fsynced after the check. A replication resumed after a crash skips what is listed; a chunk
 * checked but not yet listed is found in the bucket and not written twice (its key is its leaf).
 */
export class ReplicaLog {
  readonly file: string;

  constructor(dir: string, sessionId: string, target: string) {
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(sessionId)) throw new Error(`bad session id: ${sessionId}`);
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(target)) throw new Error(`bad replica target name: ${target}`);
    this.file = path.join(dir, `${sessionId}.${target}.copies`);
  }

  /** Leaves listed so far; a line torn by a crash is not one of them (its chunk is checked again). */
  leaves(): Set<string> {
    if (!fs.existsSync(this.file)) return new Set();
    return new Set(fs.readFileSync(this.file, 'utf8').split('\n').filter((l) => /^[0-9a-f]{64}$/.test(l)));
  }

  async add(leaf: string): Promise<void> {
    await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
    const fh = await fs.promises.open(this.file, 'a', 0o600);
    try {
      // A torn line from a crash is ended first, so this leaf is a line of its own.
      await fh.writeFile(`\n${leaf}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
}
