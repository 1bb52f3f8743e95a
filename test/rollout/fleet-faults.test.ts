import { FAULTS, rolloutThroughFault } from '../../bench/sim/fault-injection';
import { planFleet } from '../../bench/sim/fleet-plan';
import { startSimulatedPis, type SimulatedPis } from '../../bench/sim/simulated-pis';
import { FleetHarness } from '../support/fleet-harness';
import { testStack } from '../support/test-stack';

/**
 * Issue 14 §4 at fleet size (postgres engine only: `npm run test:postgres`): 100 simulated Pis (bench:fleet's, real
 * rollout, Temporal, MongoDB, git and gates; the container engine simulated) rolled out while Temporal's server is
 * killed -9, then while PostgreSQL restarts. The one run started finishes on its own once the server is back.
 * LUCID_FAULT_FLEET sets the fleet's size.
 */
const SIZE = Number(process.env.LUCID_FAULT_FLEET ?? 100);
const plan = planFleet({ clusters: SIZE, canaryShare: 0.01, failShare: 0, offlineShare: 0, seed: 1, pickupTimeoutSeconds: 15 });
const onPostgres = testStack().engine === 'postgres';
let h: FleetHarness;
let pis: SimulatedPis | undefined;

(onPostgres ? describe : describe.skip)(`a rollout of ${SIZE} simulated clusters on the production engine survives its servers`, () => {
  beforeAll(async () => {
    h = await FleetHarness.start('fleet-faults', plan.clusters);
    await h.startControlWorker();
    pis = await startSimulatedPis(
      { temporalAddress: h.stack.temporalAddress, namespace: h.stack.namespace, repoUrl: h.repo.bareDir, dataDir: h.dataDir, piWork: 'real' },
      plan.clusters.map((c) => ({ id: c.id, group: c.group, fails: false })),
      2,
      1,
    );
  });
  afterAll(async () => {
    await pis?.stop();
    await h?.close();
  });

  it.each(FAULTS)('%s once 30%% of the fleet is healthy: every cluster healthy at the commit, one run, no re-trigger', async (fault) => {
    const commit = await h.commit({ waves: plan.waves, version: fault }, `fleet through ${fault}`);
    const run = await rolloutThroughFault({
      client: h.client, db: h.db, stack: h.stackOptions, commit, fault, afterHealthy: Math.round(SIZE * 0.3), downMs: 3000,
    });

    // The fault landed mid-fleet: past the canary, with most of the fleet still to go.
    expect(run.healthyAtFault).toBeGreaterThanOrEqual(Math.round(SIZE * 0.3));
    expect(run.healthyAtFault).toBeLessThan(SIZE);
    expect(run.runs).toEqual(['COMPLETED']);
    expect(run.status.state).toBe('succeeded');
    const healthy = run.status.waves.reduce((n, w) => n + (w.counts?.healthy ?? w.clusters.filter((c) => c.state === 'healthy').length), 0);
    expect(healthy).toBe(SIZE);

    // MongoDB: each cluster runs the commit, healthy, with one outcome recorded for it by its own reconcile.
    const records = new Map((await h.store.list()).map((r) => [r.id, r]));
    for (const c of plan.clusters) {
      const r = records.get(c.id);
      expect({ id: c.id, desired: r?.desiredCommit, applied: r?.appliedCommit, lastGood: r?.lastGoodCommit })
        .toEqual({ id: c.id, desired: commit, applied: commit, lastGood: commit });
      const [last] = await h.store.outcomes(c.id, 1);
      expect({ id: c.id, outcome: last?.outcome, commit: last?.commit }).toEqual({ id: c.id, outcome: 'healthy', commit });
      expect(last!.services.length).toBeGreaterThan(0);
      for (const s of last!.services) expect({ id: c.id, service: s.name, health: s.health, commit: s.commit }).toEqual({ id: c.id, service: s.name, health: 'healthy', commit });
    }
  });
});
