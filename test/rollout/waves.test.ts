import { DEMO_APP } from '../../demo/demo-images';
import type { SampleCluster } from '../../demo/sample-fleet';
import { FleetHarness } from '../support/fleet-harness';
import { until } from '../support/until';

// Two waves: canary holds a blockchain and a sessions cluster, core one more blockchain cluster.
const CLUSTERS: SampleCluster[] = [
  { id: 'ro-a', group: 'blockchain', profiles: ['blockchain'], wave: 'canary' },
  { id: 'ro-b', group: 'sessions', profiles: ['sessions'], wave: 'canary' },
  { id: 'ro-c', group: 'blockchain', profiles: ['blockchain'], wave: 'core' },
];
let h: FleetHarness;
let good: string;

beforeAll(async () => {
  h = await FleetHarness.start('waves', CLUSTERS);
  await h.startControlWorker();
  for (const c of CLUSTERS) await h.startClusterWorker(c.id);
});
afterAll(() => h?.close());

describe('rollout in waves', () => {
  it('a good commit reaches every cluster, wave by wave', async () => {
    good = await h.commit({ version: 'v1', driftCheckSeconds: 2 }, 'fleet on v1');
    const status = await h.rollout(good);
    expect(status.state).toBe('succeeded');
    expect(status.waves.map((w) => [w.name, w.state])).toEqual([
      ['canary', 'healthy'],
      ['core', 'healthy'],
    ]);
    for (const w of status.waves) for (const c of w.clusters) expect(c).toMatchObject({ state: 'healthy', commit: good, healthy: true });
    for (const c of CLUSTERS) {
      for (const ct of await h.containers(c.id)) expect(ct).toMatchObject({ image: `${DEMO_APP}:v1`, health: 'healthy' });
    }
  });

  it('a bad commit halts in the first wave, which is rolled back, and the second wave never changes', async () => {
    const coreBefore = await h.containers('ro-c');
    const bad = await h.commit({ version: 'v2', failing: ['sessions-gateway'], driftCheckSeconds: 2 }, 'v2 breaks the sessions gateway');
    const status = await h.rollout(bad);

    expect(status.state).toBe('halted');
    const [canary, core] = status.waves;
    expect(canary!.state).toBe('halted');
    expect(canary!.clusters).toEqual([
      { id: 'ro-a', state: 'reverted', commit: good, healthy: true },
      { id: 'ro-b', state: 'rolled_back', commit: good, healthy: false },
    ]);
    expect(core).toMatchObject({ state: 'skipped', clusters: [{ id: 'ro-c', state: 'pending', commit: good }] });
    expect(status.reasons.join('\n')).toMatch(/ro-b rolled_back/);

    for (const id of ['ro-a', 'ro-b']) {
      for (const ct of await h.containers(id)) expect(ct).toMatchObject({ image: `${DEMO_APP}:v1`, health: 'healthy' });
    }
    expect((await h.containers('ro-c')).map((c) => [c.id, c.startedAt])).toEqual(coreBefore.map((c) => [c.id, c.startedAt]));
    for (const c of CLUSTERS) expect((await h.store.get(c.id)).lastGoodCommit).toBe(good);
    expect(await h.db.collection('commits').findOne({ _id: bad as never })).toMatchObject({ status: 'bad' });
  });

  it('afterwards the drift sweep puts a drifted cluster back on the last good commit, never the bad one', async () => {
    // A sweep compares in place and corrects only what drifted, so every cluster gets a container stopped by hand.
    const since = new Date();
    for (const c of CLUSTERS) {
      const [first] = await h.containers(c.id);
      await h.docker.getContainer(first!.id).stop({ t: 1 });
    }
    for (const c of CLUSTERS) {
      await until(`a drift correction on ${c.id}`, async () => (await h.store.driftCorrections(c.id)).some((d) => d.at >= since));
      const corrections = (await h.store.driftCorrections(c.id)).filter((d) => d.at >= since);
      expect(corrections.every((d) => d.clusterId === c.id && d.commit === good)).toBe(true);
    }
    for (const c of CLUSTERS) {
      await until(`${c.id} healthy on v1`, async () =>
        (await h.containers(c.id)).every((ct) => ct.state === 'running' && ct.health === 'healthy' && ct.image === `${DEMO_APP}:v1`),
      );
    }
  });

  it('a repeated trigger for the same commit starts nothing new', async () => {
    await expect(h.startRollout(good)).rejects.toThrow(/already started/i);
  });
});
