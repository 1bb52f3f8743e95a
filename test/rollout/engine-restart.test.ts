import { DEMO_APP } from '../../demo/demo-images';
import type { SampleCluster } from '../../demo/sample-fleet';
import { FleetHarness } from '../support/fleet-harness';
import { testStack } from '../support/test-stack';

/**
 * The production engine's faults (postgres engine only: `npm run test:postgres`): Temporal's server killed -9, and
 * PostgreSQL restarted, in the middle of a rollout; the rollout finishes on its own once they are back.
 *
 * LUCID_FAULT_CLUSTERS sets the fleet's size. Each cluster here is a real Compose project with a real worker, so the
 * default is the few this machine runs at once; the 100 clusters need the simulated Pi workers of
 * `bench:fleet` (issue 14 part 2): start them in `startWorkers` instead of real cluster workers.
 */
const SIZE = Number(process.env.LUCID_FAULT_CLUSTERS ?? 2);
const CLUSTERS: SampleCluster[] = Array.from({ length: SIZE }, (_, i) => ({
  id: `er-${i + 1}`,
  group: 'blockchain',
  profiles: ['blockchain'],
  wave: i === 0 ? 'canary' : 'core',
}));
const onPostgres = testStack().engine === 'postgres';
let h: FleetHarness;

async function startWorkers(): Promise<void> {
  await h.startControlWorker();
  for (const c of CLUSTERS) await h.startClusterWorker(c.id);
}

/** Resolves once the canary's applyCommit of `commit` has heartbeaten (it waits for health): the rollout is mid-flight. */
async function untilMidRollout(commit: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if ((await h.pendingApplies(commit, 'canary').catch(() => [])).some((a) => a.lastHeartbeatTime)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the rollout of ${commit} never reached the canary's apply`);
}

/** The status of every run of a workflow id: one COMPLETED run means the rollout was never started again. */
async function runsOf(workflowId: string): Promise<string[]> {
  const runs: string[] = [];
  for await (const r of h.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(r.status.name);
  return runs;
}

async function expectFleetOn(version: string, commit: string, status: Awaited<ReturnType<FleetHarness['rollout']>>): Promise<void> {
  expect(status.state).toBe('succeeded');
  for (const w of status.waves) for (const c of w.clusters) expect(c).toMatchObject({ state: 'healthy', commit, healthy: true });
  expect(status.waves.flatMap((w) => w.clusters.map((c) => c.id)).sort()).toEqual(CLUSTERS.map((c) => c.id).sort());
  for (const c of CLUSTERS) {
    for (const ct of await h.containers(c.id)) expect(ct).toMatchObject({ image: `${DEMO_APP}:${version}`, health: 'healthy', commit });
  }
}

(onPostgres ? describe : describe.skip)('a rollout on the production engine survives its servers', () => {
  beforeAll(async () => {
    h = await FleetHarness.start('engine-restart', CLUSTERS);
    await startWorkers();
    const v1 = await h.commit({ version: 'v1' }, 'v1');
    expect((await h.rollout(v1)).state).toBe('succeeded');
  });
  afterAll(() => h?.close());

  it('finishes after kill -9 of the Temporal server mid-rollout, without a re-trigger', async () => {
    const v2 = await h.commit({ version: 'v2', slow: { 'blockchain-core': 6 } }, 'v2, slow to start');
    const handle = await h.startRollout(v2);
    await untilMidRollout(v2);

    await h.restartTemporal(3000, 'SIGKILL');

    await expectFleetOn('v2', v2, await handle.result());
    // The one run started above finished it: nobody started the rollout again.
    expect(await runsOf(handle.workflowId)).toEqual(['COMPLETED']);
  });

  it('finishes after a PostgreSQL restart mid-rollout, without a re-trigger', async () => {
    const back = await h.commit({ version: 'v1', slow: { 'blockchain-core': 6 } }, 'back to v1, slow to start');
    const handle = await h.startRollout(back);
    await untilMidRollout(back);

    await h.restartPostgres(3000);

    await expectFleetOn('v1', back, await handle.result());
    expect(await runsOf(handle.workflowId)).toEqual(['COMPLETED']);
  });
});
