import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ChunkRecord } from './chunk-codec';

/** Another attempt of the same recording took the journal over; this one must stop writing. */
export class JournalSupersededError extends Error {}

/**
 * The node's durable list of a session's stored chunks: one JSON line per
 * chunk, appended and fsynced after the chunk itself is in the store. A
 * recording resumed after a crash continues after the last complete line, so
 * the chunk list never has a gap or a repeated index. A line torn by the crash
 * is cut off; its chunk, if stored, is unreferenced and its index is reused.
 *
 * A writer claims the journal first. An attempt the server gave up on (its
 * heartbeat timed out while it still ran) finds the claim taken by the newer
 * attempt at its next append and stops, so two attempts never interleave.
 */
export class SessionJournal {
  readonly file: string;
  private readonly ownerFile: string;

  constructor(dir: string, sessionId: string) {
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(sessionId)) throw new Error(`bad session id: ${sessionId}`);
    this.file = path.join(dir, `${sessionId}.jsonl`);
    this.ownerFile = path.join(dir, `${sessionId}.owner`);
  }

  read(): ChunkRecord[] {
    return this.parse(true);
  }

  /**
   * The complete lines so far, for a reader beside a live recording (replication): a line being appended is
   * left for the next look, never cut off as a crash's torn line would be.
   */
  snapshot(): ChunkRecord[] {
    return this.parse(false);
  }

  private parse(cutTorn: boolean): ChunkRecord[] {
    if (!fs.existsSync(this.file)) return [];
    const text = fs.readFileSync(this.file, 'utf8');
    const complete = text.slice(0, text.lastIndexOf('\n') + 1);
    if (cutTorn && complete.length !== text.length) fs.truncateSync(this.file, Buffer.byteLength(complete));
    const records = complete.split('\n').filter(Boolean).map((l) => JSON.parse(l) as ChunkRecord);
    records.forEach((r, i) => {
      if (r.index !== i) throw new Error(`${this.file}: line ${i + 1} has index ${r.index}, expected ${i}`);
    });
    return records;
  }

  /** Makes this writer the journal's only one; returns the token its appends carry. */
  claim(): string {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const token = randomUUID();
    const tmp = `${this.ownerFile}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, token, { mode: 0o600 });
    fs.renameSync(tmp, this.ownerFile);
    return token;
  }

  async append(record: ChunkRecord, token: string): Promise<void> {
    if ((await fs.promises.readFile(this.ownerFile, 'utf8')) !== token) {
      throw new JournalSupersededError(`${this.file}: a newer attempt took the journal over before chunk ${record.index}`);
    }
    const fh = await fs.promises.open(this.file, 'a', 0o600);
    try {
      await fh.writeFile(`${JSON.stringify(record)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
}
