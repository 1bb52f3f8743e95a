import type { SampleCluster } from '../../demo/sample-fleet';
import { rolloutTimeline } from '../../services/rollout-timeline';
import type { reconcileCluster } from '../../workflows';
import type { RolloutStatus } from '../../workflows/rollout-types';
import { RECONCILE_QUEUE, reconcileWorkflowId, rolloutWorkflowId } from '../../workflows/task-queues';
import { FleetHarness } from '../support/fleet-harness';
import { SECRET, editedFixture, githubHeaders } from '../webhook/push-delivery';

// Issue 9, items 1 and 2: a good commit is never marked bad by a race, and a commit is never locked out.
const CLUSTER: SampleCluster = { id: 'rc-a', group: 'blockchain', profiles: ['blockchain'], wave: 'canary' };
const PORT = 18782 + Number(process.env.LUCID_TEST_PORT_OFFSET ?? 0);
const URL = `http://127.0.0.1:${PORT}`;
const COMMIT_WAIT_SECONDS = 4;
let h: FleetHarness;

beforeAll(async () => {
  process.env.LUCID_COMMIT_WAIT_SECONDS = String(COMMIT_WAIT_SECONDS);
  h = await FleetHarness.start('races', [CLUSTER]);
  await h.startControlWorker();
  await h.startClusterWorker(CLUSTER.id);
  await h.serve(PORT, { LUCID_WEBHOOK_SECRET: SECRET, LUCID_COMMIT_WAIT_SECONDS: String(COMMIT_WAIT_SECONDS) });
});
afterAll(async () => {
  delete process.env.LUCID_COMMIT_WAIT_SECONDS;
  await h?.close();
});

function push(sha: string) {
  const body = editedFixture('github-push', (p) => {
    p.ref = 'refs/heads/main';
    p.after = sha;
  });
  return fetch(`${URL}/hooks/git`, { method: 'POST', headers: githubHeaders(body, 'push', SECRET), body }).then((r) => r.json());
}

const isBad = async (sha: string) => (await h.db.collection('commits').countDocuments({ _id: sha as never })) > 0;
const rolloutOf = (sha: string) => h.client.workflow.getHandle(rolloutWorkflowId(sha)).result() as Promise<RolloutStatus>;

async function events(sha: string): Promise<string[]> {
  return (await h.db.collection('rollout_events').find({ commit: sha }).sort({ at: 1, seq: 1 }).toArray()).map((e) => String(e.message));
}

describe('an operator reconcile racing a rollout of the same commit', () => {
  it('never fails the rollout or marks the commit bad: the rollout follows the running reconcile (5 rounds)', async () => {
    for (let round = 0; round < 5; round++) {
      // A slow service keeps the operator's reconcile running while the rollout reaches the cluster.
      const sha = await h.commit({ version: round % 2 ? 'v2' : 'v1', slow: { 'blockchain-core': 2 + round } }, `race round ${round}`);
      // What `lucid cluster reconcile rc-a --commit <sha> --wait` starts.
      const operator = await h.client.workflow.start<typeof reconcileCluster>('reconcileCluster', {
        taskQueue: RECONCILE_QUEUE,
        workflowId: reconcileWorkflowId(CLUSTER.id, sha),
        args: [{ clusterId: CLUSTER.id, commit: sha, healthTimeoutSeconds: 60 }],
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
      await new Promise((r) => setTimeout(r, 500));
      const status = await h.rollout(sha);
      expect(await operator.result()).toMatchObject({ outcome: 'healthy' });
      expect(status).toMatchObject({ state: 'succeeded', reasons: [] });
      expect(status.waves[0]!.clusters).toEqual([{ id: CLUSTER.id, state: 'healthy', commit: sha, healthy: true }]);
      expect(await isBad(sha)).toBe(false);
      expect(await events(sha)).toContain(`${CLUSTER.id}: ${reconcileWorkflowId(CLUSTER.id, sha)} is already running; following its outcome`);
      expect((await h.store.get(CLUSTER.id)).lastGoodCommit).toBe(sha);
    }
  });
});

describe('a push that arrives before its commit can be fetched', () => {
  it('the rollout keeps fetching the commit it was told about and rolls it out once it shows up', async () => {
    const sha = await h.commit({ version: 'v1' }, 'pushed late', { push: false });
    expect(await push(sha)).toEqual({ workflowId: rolloutWorkflowId(sha), started: true });
    await new Promise((r) => setTimeout(r, 1000));
    await h.repo.push();
    expect(await rolloutOf(sha)).toMatchObject({ state: 'succeeded', trigger: { source: 'webhook' } });
  });

  it('a commit never fetched is not marked bad, shows in status, and the redelivered webhook, the CLI and the poll start it again', async () => {
    const sha = await h.commit({ version: 'v2' }, 'reaches the repo much later', { push: false });
    expect(await push(sha)).toEqual({ workflowId: rolloutWorkflowId(sha), started: true });
    const halted = await rolloutOf(sha);
    expect(halted).toMatchObject({ state: 'halted', commitMissing: true });
    expect(halted.reasons.join('\n')).toMatch(/not found in the config repo after waiting 4s/);
    expect(await isBad(sha)).toBe(false);

    // The operator can see it, by full and by short sha, although the repo never served the commit.
    for (const ref of [sha, sha.slice(0, 10)]) {
      const status = await h.cli(['rollout', 'status', ref, '--json']);
      expect(status.code).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({ commit: sha, state: 'halted' });
    }

    await h.repo.push();
    // The webhook's redelivery starts the commit again.
    expect(await push(sha)).toEqual({ workflowId: rolloutWorkflowId(sha), started: true });
    expect(await rolloutOf(sha)).toMatchObject({ state: 'succeeded' });
    expect(await push(sha)).toEqual({ workflowId: rolloutWorkflowId(sha), started: false });
  });

  it('the CLI and the poll start again a rollout that never found its commit', async () => {
    for (const via of ['cli', 'poll'] as const) {
      const sha = await h.commit({ version: via === 'cli' ? 'v1' : 'v2' }, `late for the ${via}`, { push: false });
      expect(await push(sha)).toMatchObject({ started: true });
      expect(await rolloutOf(sha)).toMatchObject({ state: 'halted', commitMissing: true });
      await h.repo.push();
      if (via === 'cli') {
        const started = await h.cli(['rollout', 'start', '--commit', sha, '--wait', '--json']);
        expect(started.code).toBe(0);
        expect(JSON.parse(started.stdout)).toMatchObject({ commit: sha, state: 'succeeded' });
      } else {
        const poll = await h.client.workflow.execute('pollConfigRepo', { taskQueue: 'lucid-control', workflowId: `poll-test-${sha}` });
        expect(poll).toEqual({ head: sha, workflowId: rolloutWorkflowId(sha), started: true });
        expect(await rolloutOf(sha)).toMatchObject({ state: 'succeeded', trigger: { source: 'poll' } });
      }
    }
  });
});

describe('rollout retry', () => {
  it('runs a halted rollout again under the same id, clears the bad mark by that act alone, and says who in history', async () => {
    const sha = await h.commit({ version: 'v2', failing: ['blockchain-core'] }, 'unhealthy for now');
    expect(await h.rollout(sha)).toMatchObject({ state: 'halted' });
    expect(await isBad(sha)).toBe(true);

    // Triggers do not start a bad commit again; only the operator's retry does.
    expect(await push(sha)).toEqual({ workflowId: rolloutWorkflowId(sha), started: false });
    const missingBy = await h.cli(['rollout', 'retry', sha]);
    expect(missingBy.code).not.toBe(0);
    expect(missingBy.stderr).toMatch(/--by/);

    const retried = await h.cli(['rollout', 'retry', sha.slice(0, 12), '--by', 'alice', '--reason', 'flaky host', '--wait', '--json']);
    expect(retried.code).toBe(3); // still unhealthy: halted and marked bad again, by its own health
    const status = await rolloutOf(sha);
    expect(status).toMatchObject({ state: 'halted', trigger: { source: 'retry', by: 'alice', reason: 'flaky host' } });
    const log = await events(sha);
    expect(log).toContain("retry by alice: flaky host; the commit's bad mark is cleared");
    expect(log.indexOf("retry by alice: flaky host; the commit's bad mark is cleared")).toBeLessThan(log.lastIndexOf('wave canary: halted; rolling the wave back'));
    const timeline = await rolloutTimeline(h.client, rolloutWorkflowId(sha), []);
    expect(timeline.map((e) => e.what).join('\n')).toMatch(/alice/);
    let runs = 0;
    for await (const _ of h.client.workflow.list({ query: `WorkflowId = '${rolloutWorkflowId(sha)}'` })) runs++;
    expect(runs).toBe(2);
  });

  it('refuses to retry a rollout that succeeded or never ran (exit 2)', async () => {
    const good = await h.commit({ version: 'v1' }, 'good');
    expect(await h.rollout(good)).toMatchObject({ state: 'succeeded' });
    const done = await h.cli(['rollout', 'retry', good, '--by', 'alice']);
    expect(done.code).toBe(2);
    expect(done.stderr).toMatch(/succeeded: nothing to retry/);
    const never = await h.commit({ version: 'v2' }, 'never rolled out');
    const none = await h.cli(['rollout', 'retry', never, '--by', 'alice']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no rollout of/);
  });
});
