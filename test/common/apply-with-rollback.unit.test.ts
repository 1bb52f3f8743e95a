import { ApplicationFailure } from '@temporalio/common';
import { type ApplySteps, applyWithRollback, configRejection, settledEarly, withPlaneProbe } from '../../common/apply-with-rollback';
import type { HealthReport, PlaneProbeReport, PlannedService } from '../../workflows/reconcile-types';

const NEW = 'a'.repeat(40);
const OLD = 'b'.repeat(40);
const PLAN: PlannedService[] = [{ name: 'web', image: 'img', configHash: 'h' }];
const RUNNING = [{ name: 'web', image: 'img', state: 'running', health: 'healthy' as const }];

/** Steps whose outcome per commit is set by the test; every call is written down in order. */
function steps(opts: { unhealthy?: string[]; upFails?: string[]; prepareFails?: string[] }) {
  const calls: string[] = [];
  const s: ApplySteps = {
    prepare: async (sha) => {
      calls.push(`prepare ${sha[0]}`);
      if (opts.prepareFails?.includes(sha)) throw new Error('gates refused');
      return PLAN;
    },
    up: async (sha) => {
      calls.push(`up ${sha[0]}`);
      if (opts.upFails?.includes(sha)) throw new Error('pull failed');
      current = sha;
    },
    waitHealthy: async () => {
      calls.push(`health ${current[0]}`);
      return opts.unhealthy?.includes(current)
        ? { healthy: false, services: RUNNING, failure: { service: 'web', reason: `unhealthy under ${current[0]}` } }
        : { healthy: true, services: RUNNING };
    },
    verify: async (h) => h,
    rollingBack: (to) => calls.push(`rolling back to ${to[0]}`),
  };
  let current = '';
  return { s, calls };
}

describe('applyWithRollback: the rules both reconcile paths share', () => {
  it('a healthy commit is applied and nothing is rolled back', async () => {
    const { s, calls } = steps({});
    expect(await applyWithRollback(s, NEW, PLAN, OLD)).toEqual({ outcome: 'healthy', appliedCommit: NEW, services: RUNNING });
    expect(calls).toEqual(['up a', 'health a']);
  });

  it('an unhealthy commit goes back to the last good one, prepared again', async () => {
    const { s, calls } = steps({ unhealthy: [NEW] });
    const r = await applyWithRollback(s, NEW, PLAN, OLD);
    expect(r).toMatchObject({ outcome: 'rolled_back', appliedCommit: OLD, rolledBackTo: OLD, failure: { service: 'web', reason: 'unhealthy under a' } });
    expect(calls).toEqual(['up a', 'health a', 'rolling back to b', 'prepare b', 'up b', 'health b']);
  });

  it('without a last good commit, or when it is the same commit, the failure stands', async () => {
    for (const lastGood of [undefined, NEW]) {
      const { s, calls } = steps({ unhealthy: [NEW] });
      expect(await applyWithRollback(s, NEW, PLAN, lastGood)).toMatchObject({ outcome: 'failed', appliedCommit: NEW });
      expect(calls).toEqual(['up a', 'health a']);
    }
  });

  it('a failed `up` counts as unhealthy and is rolled back', async () => {
    const { s } = steps({ upFails: [NEW] });
    const r = await applyWithRollback(s, NEW, PLAN, OLD);
    expect(r).toMatchObject({ outcome: 'rolled_back', failure: { reason: 'docker compose up failed: pull failed' } });
  });

  it('a last good commit that cannot be prepared leaves the failed commit running, and says both', async () => {
    const { s } = steps({ unhealthy: [NEW], prepareFails: [OLD] });
    const r = await applyWithRollback(s, NEW, PLAN, OLD);
    expect(r.outcome).toBe('failed');
    expect(r.appliedCommit).toBe(NEW);
    expect(r.failure?.reason).toBe(`unhealthy under a; rollback to last good also failed: prepare of ${OLD} failed: gates refused`);
  });

  it('a rollback that is unhealthy too ends failed on the last good commit', async () => {
    const { s } = steps({ unhealthy: [NEW, OLD] });
    const r = await applyWithRollback(s, NEW, PLAN, OLD);
    expect(r).toMatchObject({ outcome: 'failed', appliedCommit: OLD });
    expect(r.failure?.reason).toBe('unhealthy under a; rollback to last good also failed: unhealthy under b');
  });
});

describe('withPlaneProbe', () => {
  const healthy: HealthReport = { healthy: true, services: RUNNING };

  it('a leak found by the probe makes a healthy report unhealthy, naming the service', async () => {
    const r = await withPlaneProbe(healthy, async () => ({ verified: false, findings: ['plane leak: web reached walletd'], service: 'web', probes: 2 }));
    expect(r).toMatchObject({ healthy: false, failure: { service: 'web', reason: 'plane leak: web reached walletd' } });
  });

  it('a probe that cannot run verifies nothing; an unhealthy report is not probed', async () => {
    expect(await withPlaneProbe(healthy, () => Promise.reject(new Error('no busybox')))).toMatchObject({
      healthy: false,
      failure: { reason: 'plane probe failed: no busybox' },
    });
    const probe = jest.fn();
    const sick: HealthReport = { healthy: false, services: [] };
    expect(await withPlaneProbe(sick, probe)).toBe(sick);
    expect(probe).not.toHaveBeenCalled();
  });
});

describe('the plane probe beside the health wait', () => {
  const PLAN2: PlannedService[] = [...PLAN, { name: 'db', image: 'img', configHash: 'h' }];
  const clean = (running: string[]): PlaneProbeReport => ({ verified: true, findings: [], probes: 4, leaked: false, running });
  const leak: PlaneProbeReport = { verified: false, findings: ['plane leak: web reached walletd'], service: 'web', probes: 4, leaked: true, running: ['web'] };
  const miss: PlaneProbeReport = { verified: false, findings: ['plane unreachable: db'], service: 'db', probes: 4, leaked: false, running: ['db', 'web'] };

  it('settles the check when it saw every planned service running and clean, or any leak; nothing else', () => {
    expect(settledEarly(clean(['db', 'web']), PLAN2)).toEqual(clean(['db', 'web']));
    expect(settledEarly(leak, PLAN2)).toBe(leak);
    expect(settledEarly(clean(['web']), PLAN2)).toBeUndefined();
    expect(settledEarly(miss, PLAN2)).toBeUndefined();
    expect(settledEarly({ verified: true, findings: [], probes: 0 }, PLAN)).toBeUndefined();
    expect(settledEarly(undefined, PLAN)).toBeUndefined();
  });

  /** Steps whose early probe answers `early` and whose probe after health answers `late`; calls in order. */
  function probing(early: PlaneProbeReport | Error | undefined, late: PlaneProbeReport) {
    const calls: string[] = [];
    const s: ApplySteps = {
      prepare: async () => PLAN2,
      up: async () => void calls.push('up'),
      probeEarly: () => {
        calls.push('probe early');
        if (early === undefined) return undefined;
        return early instanceof Error ? Promise.reject(early) : Promise.resolve(early);
      },
      waitHealthy: async () => {
        calls.push('health');
        return { healthy: true, services: RUNNING };
      },
      verify: (h, settled) =>
        withPlaneProbe(
          h,
          async () => {
            calls.push('probe after health');
            return late;
          },
          settled,
        ),
    };
    return { s, calls };
  }

  it('a clean early probe of every service is the verdict: no probe after health', async () => {
    const { s, calls } = probing(clean(['db', 'web']), leak);
    expect(await applyWithRollback(s, NEW, PLAN2, undefined)).toMatchObject({ outcome: 'healthy' });
    expect(calls).toEqual(['up', 'probe early', 'health']);
  });

  it('a leak seen early fails the commit (its rollback here too), whatever a later probe would say', async () => {
    const { s, calls } = probing(leak, clean(['db', 'web']));
    const r = await applyWithRollback(s, NEW, PLAN2, OLD);
    expect(r).toMatchObject({ outcome: 'failed', failure: { reason: expect.stringMatching(/^plane leak: web reached walletd; rollback to last good also failed/) } });
    expect(calls).not.toContain('probe after health');
  });

  it('a miss, a service not yet running, a failed or absent early probe: probed again after health', async () => {
    for (const early of [miss, clean(['web']), new Error('docker busy'), undefined]) {
      const { s, calls } = probing(early, clean(['db', 'web']));
      expect(await applyWithRollback(s, NEW, PLAN2, undefined)).toMatchObject({ outcome: 'healthy' });
      expect(calls).toEqual(['up', 'probe early', 'health', 'probe after health']);
    }
    const { s } = probing(miss, leak);
    expect(await applyWithRollback(s, NEW, PLAN2, undefined)).toMatchObject({ outcome: 'failed', failure: { service: 'web' } });
  });
});

describe('configRejection', () => {
  it('finds the gates verdict at any depth of the failure chain, and nothing in other failures', () => {
    const refused = ApplicationFailure.create({ type: 'ConfigError', message: 'refused', details: [{ file: 'clusters.yaml', field: 'x', reason: 'bad' }] });
    const wrapped = new Error('activity failed', { cause: refused });
    expect(configRejection(refused)).toEqual({ file: 'clusters.yaml', field: 'x', reason: 'bad' });
    expect(configRejection(wrapped)).toEqual({ file: 'clusters.yaml', field: 'x', reason: 'bad' });
    expect(configRejection(new Error('git remote down'))).toBeUndefined();
  });
});
