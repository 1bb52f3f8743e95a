import type { SampleCluster } from '../../demo/sample-fleet';
import { FleetHarness } from '../support/fleet-harness';

const CLUSTERS: SampleCluster[] = [
  { id: 'un-a', group: 'blockchain', profiles: ['blockchain'], wave: 'canary' },
  { id: 'un-off', group: 'sessions', profiles: ['sessions'], wave: 'canary' },
  { id: 'un-c', group: 'sessions', profiles: ['sessions'], wave: 'core' },
];
const waves = (maxUnavailable: number) => [{ name: 'canary', maxUnavailable, pickupTimeoutSeconds: 3 }, 'core'];
let h: FleetHarness;

beforeAll(async () => {
  h = await FleetHarness.start('unreachable', CLUSTERS);
  await h.startControlWorker();
  // un-off is a Pi that is offline: no worker ever polls cluster-un-off.
  await h.startClusterWorker('un-a');
  await h.startClusterWorker('un-c');
});
afterAll(() => h?.close());

describe('a cluster whose worker does not pick up work', () => {
  it('is reported unreachable, not failed; with a budget of 1 the wave still promotes', async () => {
    const sha = await h.commit({ version: 'v1', waves: waves(1) }, 'budget 1');
    const status = await h.rollout(sha);
    expect(status.state).toBe('succeeded');
    expect(status.waves[0]!.clusters.find((c) => c.id === 'un-off')).toMatchObject({ state: 'unreachable', healthy: false });
    expect(status.waves[0]!.state).toBe('healthy');
    expect(status.waves[1]!.clusters[0]).toMatchObject({ id: 'un-c', state: 'healthy', commit: sha });
  });

  it('with a budget of 0 the wave halts on it and later waves stay untouched', async () => {
    const before = await h.containers('un-c');
    const sha = await h.commit({ version: 'v2', waves: waves(0) }, 'budget 0');
    const status = await h.rollout(sha);
    expect(status.state).toBe('halted');
    expect(status.reasons.join('\n')).toMatch(/un-off unreachable/);
    expect(status.waves[0]!.clusters.find((c) => c.id === 'un-a')).toMatchObject({ state: 'reverted' });
    expect(status.waves[1]).toMatchObject({ state: 'skipped' });
    expect((await h.containers('un-c')).map((c) => c.id)).toEqual(before.map((c) => c.id));
    // An offline Pi says nothing about the commit: it is not marked bad, and the reverted cluster's last good is what it was.
    expect(await h.db.collection('commits').findOne({ _id: sha as never })).toBeNull();
    expect((await h.store.get('un-a')).lastGoodCommit).toBe(status.waves[0]!.clusters.find((c) => c.id === 'un-a')!.commit);
  });
});
