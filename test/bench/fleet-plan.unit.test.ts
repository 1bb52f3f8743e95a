import { planFleet } from '../../bench/sim/fleet-plan';

const base = { canaryShare: 0.01, failShare: 0, offlineShare: 0, seed: 1, pickupTimeoutSeconds: 15 };

describe('simulated fleet plan', () => {
  it('puts 1% in the canary, then the rest in one wave per group', () => {
    const plan = planFleet({ ...base, clusters: 1000 });
    expect(plan.clusters).toHaveLength(1000);
    expect(plan.clusters.filter((c) => c.wave === 'canary')).toHaveLength(10);
    expect(plan.waves.map((w) => w.name)).toEqual(['canary', 'wave-blockchain', 'wave-sessions', 'wave-node']);
    for (const c of plan.clusters.filter((x) => x.wave !== 'canary')) expect(c.wave).toBe(`wave-${c.group}`);
    expect(new Set(plan.clusters.map((c) => c.id)).size).toBe(1000);
  });

  it('keeps at least one canary in a small fleet', () => {
    expect(planFleet({ ...base, clusters: 20 }).clusters.filter((c) => c.wave === 'canary')).toHaveLength(1);
  });

  it('places failing and offline clusters after the canary, apart, with a budget that admits exactly them', () => {
    const plan = planFleet({ ...base, clusters: 1000, failShare: 0.01, offlineShare: 0.005 });
    expect(plan.failing.size).toBe(10);
    expect(plan.offline.size).toBe(5);
    expect([...plan.failing].filter((id) => plan.offline.has(id))).toEqual([]);
    const canaries = new Set(plan.clusters.filter((c) => c.wave === 'canary').map((c) => c.id));
    expect([...plan.failing, ...plan.offline].filter((id) => canaries.has(id))).toEqual([]);
    expect(plan.waves.reduce((n, w) => n + w.maxUnavailable, 0)).toBe(15);
    expect(plan.waves[0]!.maxUnavailable).toBe(0);
  });

  it('draws the same failures for the same seed and others for another', () => {
    const a = planFleet({ ...base, clusters: 500, failShare: 0.02, seed: 3 });
    expect([...planFleet({ ...base, clusters: 500, failShare: 0.02, seed: 3 }).failing]).toEqual([...a.failing]);
    expect([...planFleet({ ...base, clusters: 500, failShare: 0.02, seed: 4 }).failing]).not.toEqual([...a.failing]);
  });

  it('refuses shares outside 0..1 and a fleet of no cluster, naming the option', () => {
    expect(() => planFleet({ ...base, clusters: 10, failShare: 1.5 })).toThrow('failShare: 1.5 is not a share');
    expect(() => planFleet({ ...base, clusters: 0 })).toThrow('clusters: 0');
  });
});
