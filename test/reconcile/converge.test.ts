import { DEMO_APP } from '../../demo/demo-images';
import type { SampleCluster } from '../../demo/sample-fleet';
import { FleetHarness } from '../support/fleet-harness';

const CLUSTER: SampleCluster = { id: 'cv-bc', group: 'blockchain', profiles: ['blockchain'], wave: 'canary' };
let h: FleetHarness;

beforeAll(async () => {
  h = await FleetHarness.start('converge', [CLUSTER]);
  await h.startControlWorker();
  await h.startClusterWorker(CLUSTER.id);
});
afterAll(() => h?.close());

describe('reconcileCluster converges a cluster to a commit', () => {
  let v1: string;
  let v2: string;

  it('runs the profile-selected services of a fresh commit, healthy, labelled with the commit', async () => {
    v1 = await h.commit({ version: 'v1' }, 'fleet on v1');
    const result = await h.reconcile(CLUSTER.id, v1);
    expect(result.outcome).toBe('healthy');
    expect(result.appliedCommit).toBe(v1);

    const containers = await h.containers(CLUSTER.id);
    // beta has no profile; the blockchain profile adds core and ledger; sessions-gateway stays off.
    expect(containers.map((c) => c.service)).toEqual(['beta', 'blockchain-core', 'blockchain-ledger']);
    for (const c of containers) {
      expect(c).toMatchObject({ image: `${DEMO_APP}:v1`, state: 'running', health: 'healthy', commit: v1 });
      expect(c.configHash).toMatch(/^[0-9a-f]{64}$/);
    }
    const record = await h.store.get(CLUSTER.id);
    expect(record).toMatchObject({ desiredCommit: v1, appliedCommit: v1, lastGoodCommit: v1 });
  });

  it('re-running the applied commit changes nothing: no container is recreated or restarted', async () => {
    const before = await h.containers(CLUSTER.id);
    const result = await h.reconcile(CLUSTER.id, v1);
    expect(result.outcome).toBe('healthy');
    const after = await h.containers(CLUSTER.id);
    expect(after.map((c) => [c.id, c.startedAt])).toEqual(before.map((c) => [c.id, c.startedAt]));
  });

  it('a new commit moves every service to the new image', async () => {
    v2 = await h.commit({ version: 'v2' }, 'fleet on v2');
    const result = await h.reconcile(CLUSTER.id, v2);
    expect(result.outcome).toBe('healthy');
    for (const c of await h.containers(CLUSTER.id)) {
      expect(c).toMatchObject({ image: `${DEMO_APP}:v2`, health: 'healthy', commit: v2 });
    }
    expect(await h.store.get(CLUSTER.id)).toMatchObject({ appliedCommit: v2, lastGoodCommit: v2 });
  });

  it('a commit that changes one service recreates only that service', async () => {
    const before = new Map((await h.containers(CLUSTER.id)).map((c) => [c.service, c]));
    const v3 = await h.commit({ version: 'v2', serviceVersions: { 'blockchain-core': 'v1' } }, 'pin core back to v1');
    expect((await h.reconcile(CLUSTER.id, v3)).outcome).toBe('healthy');
    const after = new Map((await h.containers(CLUSTER.id)).map((c) => [c.service, c]));

    expect(after.get('blockchain-core')).toMatchObject({ image: `${DEMO_APP}:v1`, commit: v3 });
    expect(after.get('blockchain-core')!.id).not.toBe(before.get('blockchain-core')!.id);
    for (const svc of ['beta', 'blockchain-ledger']) {
      // Untouched services keep their container and the commit that last changed them.
      expect(after.get(svc)!.id).toBe(before.get(svc)!.id);
      expect(after.get(svc)!.commit).toBe(v2);
    }
    const outcomes = await h.store.outcomes(CLUSTER.id);
    expect(outcomes.map((o) => o.outcome)).toEqual(['healthy', 'healthy', 'healthy', 'healthy']);
  });
});
