import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Image verdicts on local disk, keyed by everything they were computed from
 * (digest, signature and attestation artifacts, trusted keys). A new signature
 * or vulnerability report changes its artifact's digest and so misses the
 * cache; only verdicts that passed are stored.
 */
export class VerdictCache<T> {
  constructor(readonly dir: string) {}

  get(key: string): T | undefined {
    try {
      return JSON.parse(fs.readFileSync(path.join(this.dir, `${key}.json`), 'utf8')) as T;
    } catch {
      return undefined;
    }
  }

  put(key: string, value: T): void {
    fs.mkdirSync(this.dir, { recursive: true });
    const file = path.join(this.dir, `${key}.json`);
    const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    fs.writeFileSync(tmp, JSON.stringify(value));
    fs.renameSync(tmp, file);
  }
}
