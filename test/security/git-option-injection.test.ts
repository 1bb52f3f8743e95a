import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import type { SampleCluster } from '../../demo/sample-fleet';
import { toolPaths } from '../../services/stack/tool-paths';
import type { driftCheck, reconcileCluster, rollout } from '../../workflows';
import { CONTROL_QUEUE, RECONCILE_QUEUE } from '../../workflows/task-queues';
import { FleetHarness } from '../support/fleet-harness';

/**
 * Issue 9 item 3: a commit or cluster id that looks like a git option is
 * refused at every entry point (CLI, workflow input, activity input, repo URL),
 * and git never gets to act on it: the directory a `--output=` would write to
 * stays empty.
 */
const CLUSTER: SampleCluster = { id: 'oi-a', group: 'blockchain', profiles: ['blockchain'], wave: 'canary' };
let h: FleetHarness;
let good: string;

beforeAll(async () => {
  h = await FleetHarness.start('option-injection', [CLUSTER]);
  good = await h.commit({ version: 'v1' }, 'v1');
  await h.startControlWorker();
  await h.startClusterWorker(CLUSTER.id);
});
afterAll(() => h?.close());

/** A fresh empty directory; whatever an injected option makes git write lands in it. */
function trap(): string {
  return fs.mkdtempSync(path.join(h.dataDir, 'trap-'));
}

/** The option-shaped values an attacker would pass, each aimed at a file in `dir`. */
function hostile(dir: string): string[] {
  const target = path.join(dir, 'pwned');
  return [`--output=${target}`, `-c core.pager=touch ${target}`, `--upload-pack=touch ${target}`];
}

function expectNothingWritten(dir: string): void {
  expect(fs.readdirSync(dir)).toEqual([]);
}

/** How a workflow ended: its innermost failure (the one that says why), or what it returned. */
async function endOf(p: Promise<unknown>): Promise<{ type?: string; nonRetryable?: boolean; message: string } | { completed: unknown }> {
  const err = await p.then(
    (completed) => ({ completed }),
    (e: unknown) => e,
  );
  if (!(err instanceof WorkflowFailedError)) return err as { completed: unknown };
  let cur: Error = err;
  while (cur.cause instanceof Error) cur = cur.cause;
  if (!(cur instanceof ApplicationFailure)) return { message: cur.message };
  return { type: cur.type ?? undefined, nonRetryable: cur.nonRetryable ?? undefined, message: cur.message };
}

describe('the CLI refuses option-shaped commits with exit 2 before git sees them', () => {
  const signatureFile = () => {
    const f = path.join(h.dataDir, 'breakglass.sig');
    fs.writeFileSync(f, 'not a signature\n');
    return f;
  };
  const commands: Array<[string, (value: string) => string[], string]> = [
    ['cluster reconcile --commit', (v) => ['cluster', 'reconcile', CLUSTER.id, `--commit=${v}`, '--wait'], '--commit'],
    ['policy check --commit', (v) => ['policy', 'check', `--commit=${v}`], '--commit'],
    ['rollout start --commit', (v) => ['rollout', 'start', `--commit=${v}`, '--wait'], '--commit'],
    ['breakglass <sha>', (v) => ['breakglass', '--signature', signatureFile(), '--expires', '2099-01-01T00:00:00Z', '--', v], '<sha>'],
    ...(['status', 'history', 'approve', 'pause', 'resume', 'abort'] as const).map(
      (sub): [string, (value: string) => string[], string] => [`rollout ${sub} <sha>`, (v) => ['rollout', sub, '--', v], '<sha>'],
    ),
  ];

  it.each(commands)('%s', async (_name, args, field) => {
    const dir = trap();
    for (const value of hostile(dir)) {
      const out = await h.cli(args(value));
      expectNothingWritten(dir);
      expect({ value, code: out.code }).toEqual({ value, code: 2 });
      expect(out.stderr).toContain(`lucid: ${field}: ${JSON.stringify(value)} must be a full or abbreviated commit sha`);
    }
    expectNothingWritten(dir);
  });

  it('cluster reconcile refuses a cluster id that is not one, naming it', async () => {
    const out = await h.cli(['cluster', 'reconcile', '../x', '--commit', good]);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('lucid: <id>: "../x" must be lowercase letters, digits and dashes');
  });
});

describe('an option-shaped config repo URL is refused where the config is loaded', () => {
  it('by the console: exit 2 naming LUCID_CONFIG_REPO, and nothing runs', async () => {
    const dir = trap();
    const out = await h.cli(['policy', 'check'], { LUCID_CONFIG_REPO: `--upload-pack=touch ${path.join(dir, 'pwned')}` });
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/LUCID_CONFIG_REPO: must not start with '-': git would read it as an option/);
    expectNothingWritten(dir);
  });

  it('by a cluster worker: it exits 2 at once instead of serving its queue', async () => {
    const dir = trap();
    const child = spawn(process.execPath, [toolPaths().lucidCli, 'worker', 'cluster', '--id', 'oi-b'], {
      env: { ...h.env, LUCID_CONFIG_REPO: `--upload-pack=touch ${path.join(dir, 'pwned')}` },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 20000);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(killer);
    expect(code).toBe(2);
    expect(stderr).toMatch(/LUCID_CONFIG_REPO: must not start with '-'/);
    expectNothingWritten(dir);
  });
});

describe('workflows started directly with malformed input fail before any command', () => {
  const reconcile = (args: Parameters<typeof reconcileCluster>[0]) =>
    h.client.workflow.execute<typeof reconcileCluster>('reconcileCluster', {
      taskQueue: RECONCILE_QUEUE,
      workflowId: `reconcile-oi-injected-${randomUUID()}`,
      args: [args],
    });

  it('reconcileCluster with an option-shaped commit: failed on the cluster worker, no file written', async () => {
    const dir = trap();
    for (const commit of hostile(dir)) {
      const end = await endOf(reconcile({ clusterId: CLUSTER.id, commit }));
      expectNothingWritten(dir);
      expect(end).toEqual({
        type: 'InvalidInput',
        nonRetryable: true,
        message: `reconcileCluster: commit: ${JSON.stringify(commit)} must be a 40-character lowercase hex commit sha; refused before it reaches git, a path or a task queue`,
      });
    }
  });

  it('reconcileCluster with an option-shaped rollback target or a path-shaped cluster id: failed, nothing recorded', async () => {
    const rollbackTo = hostile(trap())[0]!;
    expect(await endOf(reconcile({ clusterId: CLUSTER.id, commit: good, rollbackTo }))).toMatchObject({
      type: 'InvalidInput',
      message: expect.stringMatching(/^reconcileCluster: rollbackTo: "--output=.*" must be a 40-character/),
    });
    expect(await endOf(reconcile({ clusterId: '../x', commit: good }))).toMatchObject({
      type: 'InvalidInput',
      message: expect.stringMatching(/^reconcileCluster: clusterId: "\.\.\/x" must be lowercase letters/),
    });
    expect(await h.db.collection('clusters').findOne({ _id: '../x' as never })).toBeNull();
    expect(await h.db.collection('reconciles').countDocuments({})).toBe(0);
  });

  it('driftCheck with a cluster id that would rewrite its visibility query: failed', async () => {
    const clusterId = `${CLUSTER.id}' OR LucidCluster != '`;
    const end = await endOf(
      h.client.workflow.execute<typeof driftCheck>('driftCheck', {
        taskQueue: RECONCILE_QUEUE,
        workflowId: `drift-oi-injected-${randomUUID()}`,
        args: [{ clusterId }],
      }),
    );
    expect(end).toEqual({ type: 'InvalidInput', nonRetryable: true, message: expect.stringContaining(`driftCheck: clusterId: ${JSON.stringify(clusterId)} must be`) });
  });

  it('rollout with an option-shaped commit: failed before any wave, nothing marked bad, no file written', async () => {
    const dir = trap();
    for (const commit of hostile(dir)) {
      const end = await endOf(
        h.client.workflow.execute<typeof rollout>('rollout', {
          taskQueue: CONTROL_QUEUE,
          workflowId: `rollout-oi-injected-${randomUUID()}`,
          args: [{ commit, trigger: { source: 'cli', by: 'attacker' } }],
        }),
      );
      expectNothingWritten(dir);
      expect(end).toEqual({
        type: 'InvalidInput',
        nonRetryable: true,
        message: `rollout: commit: ${JSON.stringify(commit)} must be a 40-character lowercase hex commit sha; refused before it reaches git, a path or a task queue`,
      });
    }
    expect(await h.db.collection('commits').countDocuments({})).toBe(0);
  }, 60000);
});

describe('activities never trust their input', () => {
  it('prepareAndDiff (the drift check) refuses an option-shaped commit that came out of the database, and writes nothing', async () => {
    // Whoever can write MongoDB picks the commit a drift check holds the cluster on; the cluster worker still checks it.
    const dir = trap();
    const clusters = h.db.collection<{ _id: string; lastGoodCommit: string }>('clusters');
    await clusters.updateOne({ _id: CLUSTER.id }, { $set: { lastGoodCommit: hostile(dir)[0]! } }, { upsert: true });
    try {
      const end = await endOf(
        h.client.workflow.execute<typeof driftCheck>('driftCheck', {
          taskQueue: RECONCILE_QUEUE,
          workflowId: `drift-oi-db-${randomUUID()}`,
          args: [{ clusterId: CLUSTER.id }],
        }),
      );
      expectNothingWritten(dir);
      expect(end).toEqual({
        type: 'InvalidInput',
        nonRetryable: true,
        message: expect.stringMatching(/^cluster oi-a: commit: "--output=.*" must be a 40-character lowercase hex commit sha/),
      });
    } finally {
      await clusters.deleteOne({ _id: CLUSTER.id });
    }
  });
});
