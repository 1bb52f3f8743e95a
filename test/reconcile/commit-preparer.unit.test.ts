/**
 * A reconcile starts prepareCommit beside fetchCommit: on the Pi the two share
 * one checkout of the commit, so the remote is reached once. Real git, no stack.
 */
import childProcess = require('node:child_process');
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gitCommitPreparer } from '../../activities/cluster/commit-preparer';
import type { ClusterEngine } from '../../compose/cluster-engine';
import { ConfigRepoWriter } from '../../demo/config-repo-writer';
import * as gitCommand from '../../repo/git-command';
import { UnknownCommitError } from '../../repo/git-mirror';

let root: string;
beforeAll(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-preparer-'))));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
afterEach(() => jest.restoreAllMocks());

function preparerOf(repoUrl: string, name: string) {
  // fetch never reaches the engine; a call would fail the test loudly.
  const engine = new Proxy({}, { get: (_, key) => () => Promise.reject(new Error(`engine.${String(key)} called`)) }) as ClusterEngine;
  return gitCommitPreparer({ clusterId: 'prep-a', repoUrl, stateDir: path.join(root, name), engine, secretsRoot: path.join(root, `${name}-secrets`) });
}

it('reaches the remote once for two checkouts of one commit at once, and again for the next commit', async () => {
  const repo = await ConfigRepoWriter.open(path.join(root, 'config.git'));
  const first = await repo.commit({ 'README.md': 'one\n' }, 'one', { replaceAll: true });
  const spawned = jest.spyOn(childProcess, 'spawn');
  const remoteCalls = () =>
    spawned.mock.calls.filter(([cmd, args]) => cmd === 'git' && (args.includes('--mirror') || args[0] === 'fetch')).length;
  const preparer = preparerOf(repo.bareDir, 'shared');

  const [a, b] = await Promise.all([preparer.fetch(first), preparer.fetch(first)]);
  expect(a).toEqual(b);
  expect(a).toMatchObject({ sha: first, subject: 'one' });
  expect(remoteCalls()).toBe(1);

  const second = await repo.commit({ 'README.md': 'two\n' }, 'two', { replaceAll: true });
  expect(await preparer.fetch(second)).toMatchObject({ sha: second, subject: 'two' });
  expect(remoteCalls()).toBe(2);
  expect(fs.readFileSync(path.join(root, 'shared', 'trees', second, 'README.md'), 'utf8')).toBe('two\n');
});

it('lets a failed checkout be tried again instead of remembering its failure', async () => {
  const repo = await ConfigRepoWriter.open(path.join(root, 'later.git'));
  await repo.commit({ 'README.md': 'one\n' }, 'one', { replaceAll: true });
  const other = await ConfigRepoWriter.open(path.join(root, 'other.git'));
  const sha = await other.commit({ 'README.md': 'elsewhere\n' }, 'elsewhere', { replaceAll: true });
  const preparer = preparerOf(repo.bareDir, 'later');
  await expect(preparer.fetch(sha)).rejects.toBeInstanceOf(UnknownCommitError);
  // The same commit pushed to the config repo later is found.
  await gitCommand.git(['push', '--quiet', '--', repo.bareDir, `${sha}:refs/heads/later`], { cwd: other.bareDir });
  expect(await preparer.fetch(sha)).toMatchObject({ sha, subject: 'elsewhere' });
});
