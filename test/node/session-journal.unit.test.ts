import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { JournalSupersededError, SessionJournal } from '../../sessions/session-journal';
import { ensureNodeKeyFile } from '../../services/stack/node-key-file';

const record = (index: number) => ({ index, size: 10, stored: 26, leaf: 'ab'.repeat(32), nonce: 'cd'.repeat(24) });
let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-journal-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('SessionJournal', () => {
  it('a writer whose journal a newer attempt claimed cannot append', async () => {
    const old = new SessionJournal(dir, 's1');
    const oldToken = old.claim();
    await old.append(record(0), oldToken);
    const fresh = new SessionJournal(dir, 's1');
    const token = fresh.claim();
    await expect(old.append(record(1), oldToken)).rejects.toThrow(JournalSupersededError);
    await fresh.append(record(1), token);
    expect(fresh.read().map((r) => r.index)).toEqual([0, 1]);
  });

  it('cuts a line torn by a crash and keeps the complete ones', async () => {
    const j = new SessionJournal(dir, 's2');
    const token = j.claim();
    await j.append(record(0), token);
    fs.appendFileSync(j.file, '{"index":1,"si');
    expect(j.read()).toEqual([record(0)]);
    await j.append(record(1), token);
    expect(j.read().map((r) => r.index)).toEqual([0, 1]);
  });

  it('a snapshot beside a live writer leaves a half-written line in place for the writer to finish', async () => {
    const j = new SessionJournal(dir, 's4');
    const token = j.claim();
    await j.append(record(0), token);
    fs.appendFileSync(j.file, '{"index":1,"si');
    expect(j.snapshot()).toEqual([record(0)]);
    expect(fs.readFileSync(j.file, 'utf8')).toMatch(/\{"index":1,"si$/);
  });

  it('refuses a journal whose indexes are not contiguous', async () => {
    const j = new SessionJournal(dir, 's3');
    const token = j.claim();
    await j.append(record(0), token);
    await j.append(record(2), token);
    expect(() => j.read()).toThrow(/line 2 has index 2, expected 1/);
  });
});

describe('the embedded node key file', () => {
  it('is 32 random bytes, 0400, in a 0700 directory, and the same on the next call', () => {
    const file = ensureNodeKeyFile('/data-a', 'n1', dir);
    expect(Buffer.from(fs.readFileSync(file, 'utf8'), 'base64')).toHaveLength(32);
    expect(fs.statSync(file).mode & 0o777).toBe(0o400);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(ensureNodeKeyFile('/data-a', 'n1', dir)).toBe(file);
  });

  it('refuses a key someone else could have planted or read', () => {
    const file = ensureNodeKeyFile('/data-b', 'n1', dir);
    fs.chmodSync(file, 0o644);
    expect(() => ensureNodeKeyFile('/data-b', 'n1', dir)).toThrow(/not a private file of this user .*mode 644/);
  });
});
