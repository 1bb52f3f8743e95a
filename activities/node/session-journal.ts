import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ChunkRecord } from './chunk-codec';

/**
 * The node's durable list of a session's stored chunks: one JSON line per
 * chunk, appended and fsynced after the chunk itself is in the store. A
 * recording resumed after a crash continues after the last complete line, so
 * the chunk list never has a gap or a repeated index. A line torn by the crash
 * is cut off; its chunk, if stored, is unreferenced and its index is reused.
 */
export class SessionJournal {
  readonly file: string;

  constructor(dir: string, sessionId: string) {
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(sessionId)) throw new Error(`bad session id: ${sessionId}`);
    this.file = path.join(dir, `${sessionId}.jsonl`);
  }

  read(): ChunkRecord[] {
    if (!fs.existsSync(this.file)) return [];
    const text = fs.readFileSync(this.file, 'utf8');
    const complete = text.slice(0, text.lastIndexOf('\n') + 1);
    if (complete.length !== text.length) fs.truncateSync(this.file, Buffer.byteLength(complete));
    const records = complete.split('\n').filter(Boolean).map((l) => JSON.parse(l) as ChunkRecord);
    records.forEach((r, i) => {
      if (r.index !== i) throw new Error(`${this.file}: line ${i + 1} has index ${r.index}, expected ${i}`);
    });
    return records;
  }

  append(record: ChunkRecord): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const fd = fs.openSync(this.file, 'a', 0o600);
    try {
      fs.writeSync(fd, `${JSON.stringify(record)}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
}
