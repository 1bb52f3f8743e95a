import { planeFindings, probeSources, probeTargets, type ProbeMember } from '../../compose/plane-probe-plan';

const member = (service: string, plane: ProbeMember['plane'], addresses: ProbeMember['addresses'], expose = [8080]): ProbeMember => ({
  service,
  containerId: `id-${service}`,
  plane,
  expose,
  addresses,
});

const beta = member('beta', 'ops', { ops: '10.0.1.2', chain: '10.0.2.2', wallet: '10.0.3.2' }, [9050]);
const metrics = member('metrics', 'ops', { ops: '10.0.1.3' }, [8080, 9100]);
const core = member('blockchain-core', 'chain', { chain: '10.0.2.3' });
const walletd = member('walletd', 'wallet', { wallet: '10.0.3.3' });
// Shares walletd's network namespace: no address of its own.
const sharing = member('admin-api', 'ops', {}, [8081]);
const all = [beta, metrics, core, walletd, sharing];

describe('what each service must and must not reach', () => {
  it('its own plane and beta at their address on its plane; every other plane at every address it has', () => {
    expect(probeTargets(metrics, all)).toEqual([
      { service: 'beta', plane: 'ops', address: '10.0.1.2', port: 9050, expect: 'reach' },
      { service: 'blockchain-core', plane: 'chain', address: '10.0.2.3', port: 8080, expect: 'blocked' },
      { service: 'walletd', plane: 'wallet', address: '10.0.3.3', port: 8080, expect: 'blocked' },
    ]);
    expect(probeTargets(walletd, all)).toEqual([
      { service: 'beta', plane: 'wallet', address: '10.0.3.2', port: 9050, expect: 'reach' },
      { service: 'metrics', plane: 'ops', address: '10.0.1.3', port: 8080, expect: 'blocked' },
      { service: 'metrics', plane: 'ops', address: '10.0.1.3', port: 9100, expect: 'blocked' },
      { service: 'blockchain-core', plane: 'chain', address: '10.0.2.3', port: 8080, expect: 'blocked' },
    ]);
  });

  it('probes from every service but beta, which joins every plane by design', () => {
    expect(probeSources(all).map((m) => m.service)).toEqual(['metrics', 'blockchain-core', 'walletd', 'admin-api']);
  });

  it('a service in another\'s namespace is probed from: it must still reach its own plane', () => {
    expect(probeTargets(sharing, all).filter((t) => t.expect === 'reach')).toEqual([
      { service: 'beta', plane: 'ops', address: '10.0.1.2', port: 9050, expect: 'reach' },
      { service: 'metrics', plane: 'ops', address: '10.0.1.3', port: 8080, expect: 'reach' },
      { service: 'metrics', plane: 'ops', address: '10.0.1.3', port: 9100, expect: 'reach' },
    ]);
  });
});

describe('findings', () => {
  const target = (from: ProbeMember, service: string, port: number) => probeTargets(from, all).find((t) => t.service === service && t.port === port)!;

  it('name who reached whom on which port, leaks first, and nothing when every expectation holds', () => {
    const outcomes = [
      { from: sharing, target: target(sharing, 'beta', 9050), reached: false },
      { from: sharing, target: target(sharing, 'walletd', 8080), reached: true },
      { from: metrics, target: target(metrics, 'beta', 9050), reached: true },
      { from: metrics, target: target(metrics, 'walletd', 8080), reached: false },
    ];
    expect(planeFindings(outcomes)).toEqual([
      'plane leak: admin-api (ops) reached walletd (wallet) on 8080',
      'plane unreachable: admin-api (ops) cannot reach beta (ops) on 9050',
    ]);
    expect(planeFindings(outcomes.slice(2))).toEqual([]);
  });

  it('keep a history small: the first 20 and a count of the rest', () => {
    const many = Array.from({ length: 25 }, (_, i) => ({
      from: member(`s${i}`, 'ops', {}),
      target: { service: 'walletd', plane: 'wallet' as const, address: '10.0.3.3', port: 8080, expect: 'blocked' as const },
      reached: true,
    }));
    const findings = planeFindings(many);
    expect(findings).toHaveLength(21);
    expect(findings[20]).toBe('and 5 more');
  });
});
