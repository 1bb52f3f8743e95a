import { planFleet } from '../../bench/sim/fleet-plan';
import { startSimulatedPis, type SimulatedPis } from '../../bench/sim/simulated-pis';
import { FleetHarness } from '../support/fleet-harness';

// 20 simulated Pis: one canary, one whose services never turn healthy, one offline; each wave's budget admits its own.
const plan = planFleet({ clusters: 20, canaryShare: 0.01, failShare: 0.06, offlineShare: 0.06, seed: 1, pickupTimeoutSeconds: 10 });
const online = plan.clusters.filter((c) => !plan.offline.has(c.id));
let h: FleetHarness;
let pis: SimulatedPis | undefined;

beforeAll(async () => {
  h = await FleetHarness.start('simfleet', plan.clusters);
  await h.startControlWorker();
  pis = await startSimulatedPis(
    { temporalAddress: h.stack.temporalAddress, namespace: h.stack.namespace, repoUrl: h.repo.bareDir, dataDir: h.dataDir, piWork: 'real' },
    online.map((c) => ({ id: c.id, group: c.group, fails: plan.failing.has(c.id) })),
    2,
    1,
  );
});
afterAll(async () => {
  await pis?.stop();
  await h?.close();
});

describe('a simulated fleet through the real rollout', () => {
  it('has one failing and one offline cluster, neither in the canary', () => {
    expect(plan.failing.size).toBe(1);
    expect(plan.offline.size).toBe(1);
    expect(pis!.ready.reduce((n, r) => n + r.workers, 0)).toBe(19);
  });

  it('rolls a commit out to every healthy Pi; the failing one fails, the offline one is unreachable, within budget', async () => {
    const sha = await h.commit({ waves: plan.waves }, 'simulated fleet');
    const status = await h.rollout(sha);
    expect(status.state).toBe('succeeded');

    const records = new Map((await h.store.list()).map((r) => [r.id, r]));
    const healthy = online.filter((c) => !plan.failing.has(c.id)).map((c) => c.id);
    for (const id of healthy) expect({ id, lastGood: records.get(id)?.lastGoodCommit }).toEqual({ id, lastGood: sha });

    const [failing] = [...plan.failing];
    const [outcome] = await h.store.outcomes(failing!, 1);
    expect(outcome).toMatchObject({ outcome: 'failed', commit: sha });
    expect(outcome!.failure?.reason).toContain('unhealthy (simulated)');
    expect(records.get(failing!)?.lastGoodCommit).toBeUndefined();

    const [offline] = [...plan.offline];
    expect(await h.store.outcomes(offline!, 1)).toEqual([]);
    const states = new Map(status.waves.flatMap((w) => w.clusters.map((c) => [c.id, c.state])));
    expect(states.get(offline!)).toBe('unreachable');
  });
});
