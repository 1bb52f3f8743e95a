/**
 * What the gates read of a commit is asked of git once per process when the
 * commit is named by full sha; a branch is asked every time, and a failed read
 * is asked again. Real git, no stack: a repo whose objects are gone afterwards
 * tells a remembered answer from a fresh one.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../../config/config-error';
import { ConfigRepoWriter } from '../../demo/config-repo-writer';
import { verifyCommitSignature } from '../../repo/commit-signature';
import { CommitReads } from '../../repo/commit-reads';

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-commit-reads-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const show = (sha: string) => ['show', '--end-of-options', `${sha}:README.md`];

it('keeps an answer about a full sha, not about a branch', async () => {
  const repo = await ConfigRepoWriter.open(path.join(root, 'kept.git'));
  const sha = await repo.commit({ 'README.md': 'one\n' }, 'one', { replaceAll: true });
  const reads = new CommitReads(repo.bareDir);
  expect(await reads.at(sha, show(sha))).toBe('one\n');
  expect(await reads.at('main', show('main'))).toBe('one\n');
  fs.rmSync(path.join(repo.bareDir, 'objects'), { recursive: true, force: true });
  expect(await reads.at(sha, show(sha))).toBe('one\n');
  await expect(reads.at('main', show('main'))).rejects.toThrow();
});

it('asks again after a failed read: a commit fetched later is read then', async () => {
  const repo = await ConfigRepoWriter.open(path.join(root, 'later.git'));
  const other = await ConfigRepoWriter.open(path.join(root, 'other.git'));
  const sha = await other.commit({ 'README.md': 'two\n' }, 'two', { replaceAll: true });
  const reads = new CommitReads(repo.bareDir);
  await expect(reads.at(sha, show(sha))).rejects.toThrow();
  // Objects are content-addressed: the same sha, now present.
  fs.cpSync(path.join(other.bareDir, 'objects'), path.join(repo.bareDir, 'objects'), { recursive: true });
  expect(await reads.at(sha, show(sha))).toBe('two\n');
});

it('refuses a policy path that is a directory, naming file and commit', async () => {
  const repo = await ConfigRepoWriter.open(path.join(root, 'dir.git'));
  const sha = await repo.commit({ 'README.md': 'x\n', 'policies/allowed-signers/key': 'not a signers file\n' }, 'dir', { replaceAll: true });
  const err = await verifyCommitSignature(repo.bareDir, sha).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ConfigError);
  expect((err as ConfigError).toJSON()).toMatchObject({ file: 'policies/allowed-signers', field: `commit ${sha.slice(0, 12)}`, reason: 'is a tree, not a file' });
});
