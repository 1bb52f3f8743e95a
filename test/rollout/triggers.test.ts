import { ensurePollSchedule } from '../../triggers/schedules';
import type { SampleCluster } from '../../demo/sample-fleet';
import type { RolloutStatus } from '../../workflows/rollout-types';
import { FleetHarness } from '../support/fleet-harness';
import { SECRET, editedFixture, giteaHeaders, githubHeaders } from '../webhook/push-delivery';

const CLUSTER: SampleCluster = { id: 'tg-a', group: 'blockchain', profiles: ['blockchain'], wave: 'canary' };
const PORT = 18780 + Number(process.env.LUCID_TEST_PORT_OFFSET ?? 0);
const URL = `http://127.0.0.1:${PORT}`;
let h: FleetHarness;

beforeAll(async () => {
  h = await FleetHarness.start('triggers', [CLUSTER]);
  await h.startControlWorker();
  await h.startClusterWorker(CLUSTER.id);
  await h.serve(PORT, { LUCID_WEBHOOK_SECRET: SECRET });
});
afterAll(() => h?.close());

/** A GitHub push of `sha` to main, as GitHub would send it for this repo. */
function push(sha: string, provider: 'github' | 'gitea' = 'github', secret = SECRET) {
  const body = editedFixture(provider === 'github' ? 'github-push' : 'gitea-push', (p) => {
    p.ref = 'refs/heads/main';
    p.after = sha;
  });
  const headers = provider === 'github' ? githubHeaders(body, 'push', secret) : giteaHeaders(body, 'push', secret);
  return fetch(`${URL}/hooks/git`, { method: 'POST', headers, body });
}

async function runsOf(workflowId: string): Promise<number> {
  let n = 0;
  for await (const _ of h.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) n++;
  return n;
}

describe('rollout triggers', () => {
  it('a push with a wrong signature is refused with 401 and starts nothing', async () => {
    const sha = await h.commit({ version: 'v1' }, 'v1');
    const res = await push(sha, 'github', 'not-the-secret');
    expect(res.status).toBe(401);
    await expect(h.client.workflow.getHandle(`rollout-${sha}`).describe()).rejects.toThrow(/not found/i);
  });

  it('a signed push starts rollout-<sha> once, however often it is delivered', async () => {
    const sha = await h.commit({ version: 'v2' }, 'v2');
    const first = await push(sha);
    expect(first.status).toBe(202);
    expect(await first.json()).toEqual({ workflowId: `rollout-${sha}`, started: true });
    const again = await push(sha, 'gitea');
    expect(await again.json()).toEqual({ workflowId: `rollout-${sha}`, started: false });

    const status = await h.client.workflow.getHandle(`rollout-${sha}`).result() as RolloutStatus;
    expect(status).toMatchObject({ state: 'succeeded', trigger: { source: 'webhook' } });
    expect(await push(sha).then((r) => r.json())).toEqual({ workflowId: `rollout-${sha}`, started: false });
    expect(await runsOf(`rollout-${sha}`)).toBe(1);
  });

  it('the poll Schedule rolls out a new branch head once', async () => {
    const sha = await h.commit({ version: 'v1' }, 'pushed where no webhook reaches');
    await ensurePollSchedule(h.client, 1);
    let status: RolloutStatus | undefined;
    for (let i = 0; i < 120 && !status; i++) {
      status = await h.client.workflow.getHandle(`rollout-${sha}`).result().catch(() => undefined);
      if (!status) await new Promise((r) => setTimeout(r, 500));
    }
    expect(status).toMatchObject({ state: 'succeeded', trigger: { source: 'poll' } });
    await new Promise((r) => setTimeout(r, 3000));
    expect(await runsOf(`rollout-${sha}`)).toBe(1);
  });

  it('serves Prometheus metrics counting the two rollouts above and their reconciles', async () => {
    const res = await fetch(`${URL}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/^lucid_rollouts_total\{state="succeeded"\} 2$/m);
    expect(text).toMatch(/^lucid_reconciles_total\{cluster="tg-a",outcome="healthy"\} 2$/m);
    expect(text).toMatch(/^lucid_reconcile_duration_seconds_count\{outcome="healthy"\} 2$/m);
    expect(text).toMatch(/^lucid_rollout_duration_seconds_count\{state="succeeded"\} 2$/m);
  });
});
