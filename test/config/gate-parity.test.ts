/**
 * The console's gate (what `lucid policy check` and the rollout run) and each
 * cluster's prepare step (gates, secrets, render) must agree on every input:
 * a commit one accepts and the other refuses passes a pull request and then
 * fails on every Pi. Real git, real `docker compose config`; the cluster side
 * runs the worker's own activity in the SDK's activity context.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import Docker from 'dockerode';
import { git } from '../../repo/git-command';
import { createClusterActivities } from '../../activities/cluster/cluster-activities';
import { composeEngine } from '../../compose/compose-engine';
import { ConfigError } from '../../config/config-error';
import { ConfigRepoWriter } from '../../demo/config-repo-writer';
import { GitMirror } from '../../repo/git-mirror';
import { pruneTrees } from '../../repo/tree-pruning';
import { checkCommitGates } from '../../supply-chain/commit-gates';
import { COMPOSE_FILE, VALID_COMPOSE, defaultFiles, envFile } from './fixture-tree';
import { REFUSED_INPUTS, type Files } from './refused-inputs';

const CLUSTERS = ['edge-node-1', 'sess-1'];
const docker = new Docker();
let root: string;
let repo: ConfigRepoWriter;
let baseline: string;

type Verdict = { passed: true } | { passed: false; file: string; field: string; reason: string };

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-gate-parity-'));
  repo = await ConfigRepoWriter.open(path.join(root, 'config.git'));
  baseline = await repo.commit(defaultFiles(), 'the valid tree', { replaceAll: true });
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/**
 * Commits the valid tree with `files` over it as a child of the baseline, so
 * no fixture inherits another's history (a policy once present stays required).
 */
async function commitOnBaseline(files: Files, message: string, symlinks: Record<string, string> = {}): Promise<string> {
  const inWork = (args: string[]) => git(args, { cwd: repo.workDir });
  await inWork(['reset', '-q', '--hard', baseline]);
  for (const entry of fs.readdirSync(repo.workDir)) {
    if (entry !== '.git') fs.rmSync(path.join(repo.workDir, entry), { recursive: true, force: true });
  }
  for (const [rel, text] of Object.entries({ ...defaultFiles(), ...files })) {
    if (text === null) continue;
    fs.mkdirSync(path.dirname(path.join(repo.workDir, rel)), { recursive: true });
    fs.writeFileSync(path.join(repo.workDir, rel), text);
  }
  for (const [rel, target] of Object.entries(symlinks)) {
    fs.mkdirSync(path.dirname(path.join(repo.workDir, rel)), { recursive: true });
    fs.symlinkSync(target, path.join(repo.workDir, rel));
  }
  await inWork(['add', '-A', '.']);
  await inWork(['commit', '-q', '-m', message]);
  await inWork(['push', '--quiet', '--force', 'origin', 'main']);
  return (await inWork(['rev-parse', 'HEAD'])).trim();
}

/** The console side: what `lucid policy check --commit <sha>` runs. */
async function consoleVerdict(sha: string): Promise<Verdict> {
  const mirror = new GitMirror(repo.bareDir, path.join(root, 'console', 'repo.git'));
  await mirror.fetchAndResolve(sha);
  const treesDir = path.join(root, 'console', 'trees');
  const treeDir = await mirror.materialize(sha, treesDir);
  pruneTrees(treesDir, [sha]);
  try {
    await checkCommitGates({ gitDir: mirror.mirrorDir, sha, treeDir, cacheDir: path.join(root, 'console', 'verdicts') });
    return { passed: true };
  } catch (err) {
    if (err instanceof ConfigError) return { passed: false, ...err.toJSON() };
    throw err;
  }
}

/** The cluster side: the cluster worker's prepareCommit activity, on its own mirror and state dir. */
async function clusterVerdict(clusterId: string, sha: string): Promise<Verdict & { stateDir: string }> {
  const stateDir = path.join(root, `cluster-${clusterId}`);
  const activities = createClusterActivities({ clusterId, repoUrl: repo.bareDir, stateDir, engine: composeEngine({ docker, clusterId }) });
  try {
    // A refusal is the expected answer here, not a warning worth a log line.
    await new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') }).run(activities.prepareCommit, { commit: sha });
    return { passed: true, stateDir };
  } catch (err) {
    if (err instanceof ApplicationFailure && err.type === 'ConfigError') {
      const { file, field, reason } = err.details![0] as { file: string; field: string; reason: string };
      return { passed: false, file, field, reason, stateDir };
    }
    throw err;
  }
}

/** The console and each cluster, at once, as they would meet a pushed commit. */
async function verdicts(sha: string): Promise<{ console: Verdict; clusters: Verdict[] }> {
  const [onConsole, ...clusters] = await Promise.all([
    consoleVerdict(sha),
    ...CLUSTERS.map(async (id) => {
      const { stateDir: _, ...verdict } = await clusterVerdict(id, sha);
      return verdict as Verdict;
    }),
  ]);
  return { console: onConsole!, clusters };
}

describe('the console gate and the cluster gate agree', () => {
  it('both accept the valid tree (so a refusal below is the input, not the harness)', async () => {
    const v = await verdicts(baseline);
    expect(v.console).toEqual({ passed: true });
    expect(v.clusters).toEqual([{ passed: true }, { passed: true }]);
  });

  it.each(REFUSED_INPUTS.map((c) => [c.name, c] as const))('%s: refused by both, for the same file, field and reason', async (_name, c) => {
    const sha = await commitOnBaseline(c.files, `refused: ${c.name}`, c.symlinks);
    const v = await verdicts(sha);
    expect(v.console).toMatchObject({
      passed: false,
      file: c.file,
      field: typeof c.field === 'string' ? c.field : expect.stringMatching(c.field),
      ...(c.reason ? { reason: expect.stringMatching(c.reason) } : {}),
    });
    expect(v.clusters).toEqual(CLUSTERS.map(() => v.console));
  });
});

describe('one .env parser', () => {
  it('Compose renders exactly the values the gate validated', async () => {
    const env =
      envFile('sess-1', ['sessions']) +
      [
        '',
        '# a comment line, and an indented one:',
        '   # indented comment',
        'NOTE="a #b \'c\' `d` "',
        'HASH=#fff',
        'INLINE=v   # a trailing comment',
        "SINGLE='x  y'",
        'EMPTY=',
        'URL=https://h.example:9000/p?q=1&r=2',
        'CRLF=v\r',
        '',
      ].join('\n');
    const keys = ['NOTE', 'HASH', 'INLINE', 'SINGLE', 'EMPTY', 'URL', 'CRLF'];
    const compose = VALID_COMPOSE.replace(
      '    restart: unless-stopped\n',
      `    restart: unless-stopped\n    environment:\n${keys.map((k) => `      ${k}: "\${${k}}"\n`).join('')}`,
    );
    const sha = await commitOnBaseline({ 'clusters/sess-1/.env': env, [COMPOSE_FILE]: compose }, 'env syntax');
    expect(await consoleVerdict(sha)).toEqual({ passed: true });
    const cluster = await clusterVerdict('sess-1', sha);
    expect(cluster.passed).toBe(true);
    const rendered = JSON.parse(fs.readFileSync(path.join(cluster.stateDir, 'rendered', `${sha}.json`), 'utf8'));
    expect(rendered.services.beta.environment).toEqual({
      NOTE: "a #b 'c' `d` ",
      HASH: '#fff',
      INLINE: 'v',
      SINGLE: 'x  y',
      EMPTY: '',
      URL: 'https://h.example:9000/p?q=1&r=2',
      CRLF: 'v',
    });
  });
});
