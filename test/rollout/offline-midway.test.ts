import type { SampleCluster } from '../../demo/sample-fleet';
import { temporal } from '@temporalio/proto';
import { FleetHarness } from '../support/fleet-harness';

const CLUSTERS: SampleCluster[] = [
  { id: 'om-a', group: 'blockchain', profiles: ['blockchain'], wave: 'canary' },
  { id: 'om-b', group: 'sessions', profiles: ['sessions'], wave: 'core' },
];
let h: FleetHarness;

beforeAll(async () => {
  h = await FleetHarness.start('offline-midway', CLUSTERS);
  await h.startControlWorker();
  await h.startClusterWorker('om-b');
});
afterAll(() => h?.close());

describe('a Pi that goes offline after it picked up its reconcile', () => {
  it('counts as unreachable once the wave reconcile deadline passes, instead of holding the rollout', async () => {
    // om-a's worker takes the change, then dies while its slow service is still starting.
    const worker = h.spawnWorker('cluster', 'om-a');
    const sha = await h.commit(
      { version: 'v1', slow: { 'blockchain-core': 60 }, waves: [{ name: 'canary', reconcileTimeoutSeconds: 12 }, 'core'] },
      'slow canary',
    );
    const handle = await h.startRollout(sha);
    // The canary batch's applyCommit on om-a has started: the Pi is in the middle of the change.
    while (!(await h.pendingApplies(sha, 'canary')).some((a) => a.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED)) {
      await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 2000));
    worker.kill('SIGKILL');

    const t = Date.now();
    const status = await handle.result();
    expect(Date.now() - t).toBeLessThan(30_000);
    expect(status.state).toBe('halted');
    expect(status.waves[0]!.clusters[0]).toMatchObject({ id: 'om-a', state: 'unreachable', healthy: false });
    expect(status.reasons.join('\n')).toMatch(/om-a unreachable/);
    expect(status.waves[1]).toMatchObject({ state: 'skipped' });
    // No outcome, so no change under way: drift checks may hold om-a on its last good commit again.
    expect((await h.store.get('om-a')).desiredCommit).toBeUndefined();
    const history = await h.cli(['rollout', 'history', sha.slice(0, 12)]);
    expect(history.stderr + history.stdout).toMatch(/om-a: unreachable \(its reconcile did not finish within 12s/);
  });
});
