/**
 * SPEC-3 M7 on a real engine: a `tor` service that is unhealthy keeps every
 * other service of the cluster from starting (the runtime policy requires
 * them to wait for it, healthy), so no workload runs without its Tor egress.
 * The demo image plays Tor; DEMO_FAIL=1 makes it never pass its healthcheck.
 */
import { parse, stringify } from 'yaml';
import { DEFAULT_ALLOWLIST } from '../../config/fleet-taxonomy';
import { outsideNetworkName, planeNetworkName } from '../../compose/plane-networks';
import { DEMO_APP } from '../../demo/demo-images';
import { sampleFleetFiles, type SampleCluster } from '../../demo/sample-fleet';
import type { reconcileCluster } from '../../workflows';
import { RECONCILE_QUEUE, reconcileWorkflowId } from '../../workflows/task-queues';
import { FleetHarness } from '../support/fleet-harness';

const CLUSTER: SampleCluster = { id: 'rt-tor', group: 'blockchain', profiles: ['blockchain'], wave: 'canary' };
const COMPOSE = 'compose/docker-compose.yml';
const NEVER_STARTED = '0001-01-01T00:00:00Z';
let h: FleetHarness;

/** The sample fleet behind a `tor` service (healthy, or never healthy), every other service waiting for it. */
function fleetBehindTor(tor: 'healthy' | 'unhealthy', attempt = 1): Record<string, string> {
  const files = sampleFleetFiles({ clusters: [CLUSTER], version: 'v1' });
  const compose = parse(files[COMPOSE]!) as { services: Record<string, Record<string, unknown>> };
  for (const service of Object.values(compose.services)) service.depends_on = { tor: { condition: 'service_healthy', restart: true } };
  compose.services.tor = {
    image: `${DEMO_APP}:v1`,
    init: true,
    environment: { SERVICE: 'tor', ATTEMPT: String(attempt), ...(tor === 'unhealthy' ? { DEMO_FAIL: '1' } : {}) },
    healthcheck: { test: ['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:8080/version'], interval: '1s', timeout: '2s', retries: 3 },
    labels: { 'com.lucid.plane': 'ops', 'com.lucid.service': 'tor', 'com.lucid.expose': '8080' },
  };
  const allowlist = { ...DEFAULT_ALLOWLIST, common: [...DEFAULT_ALLOWLIST.common, 'tor'] };
  return { ...files, [COMPOSE]: stringify(compose), 'policies/allowlist.yaml': stringify(allowlist) };
}

beforeAll(async () => {
  h = await FleetHarness.start('tor-egress', [CLUSTER]);
  await h.startControlWorker();
  await h.startClusterWorker(CLUSTER.id);
});
afterAll(() => h?.close());

describe('the Tor egress dependency on a real engine', () => {
  it('an unhealthy tor keeps every other service from starting: created, never run', async () => {
    const bad = await h.repo.commit(fleetBehindTor('unhealthy'), 'tor never healthy', { replaceAll: true });
    expect((await h.cli(['policy', 'check', '--commit', bad])).code).toBe(0);
    const result = await h.reconcile(CLUSTER.id, bad, 30);
    // No last good commit yet: nothing to roll back to.
    expect(result.outcome).toBe('failed');
    expect(result.failure?.reason).toMatch(/tor.*unhealthy|unhealthy.*tor/);

    const containers = await h.containers(CLUSTER.id);
    expect(containers.map((c) => c.service)).toEqual(['beta', 'blockchain-core', 'blockchain-ledger', 'tor']);
    const tor = containers.find((c) => c.service === 'tor')!;
    expect(tor).toMatchObject({ state: 'running', health: 'unhealthy' });
    for (const c of containers.filter((x) => x.service !== 'tor')) {
      expect({ service: c.service, state: c.state, startedAt: c.startedAt }).toEqual({ service: c.service, state: 'created', startedAt: NEVER_STARTED });
    }
  });

  it('with a healthy tor the cluster converges, and a commit whose tor turns unhealthy is rolled back', async () => {
    const good = await h.repo.commit(fleetBehindTor('healthy'), 'tor healthy', { replaceAll: true });
    const converged = await h.reconcile(CLUSTER.id, good);
    expect(converged.outcome).toBe('healthy');
    const running = await h.containers(CLUSTER.id);
    expect(running.map((c) => [c.service, c.state, c.commit])).toEqual(
      ['beta', 'blockchain-core', 'blockchain-ledger', 'tor'].map((s) => [s, 'running', good]),
    );
    // Nothing started before tor was up (and healthy: Compose waited for it).
    const torStarted = Date.parse(running.find((c) => c.service === 'tor')!.startedAt);
    for (const c of running.filter((x) => x.service !== 'tor')) expect(Date.parse(c.startedAt)).toBeGreaterThan(torStarted);
    // Tor alone has a way off the host, on a network of its own; the workloads have only their internal planes.
    const networksOf = async (service: string) =>
      Object.keys((await h.docker.getContainer(running.find((c) => c.service === service)!.id).inspect()).NetworkSettings.Networks).sort();
    expect(await networksOf('tor')).toEqual([outsideNetworkName(CLUSTER.id, 'tor'), planeNetworkName(CLUSTER.id, 'ops')]);
    expect(await networksOf('blockchain-core')).toEqual([planeNetworkName(CLUSTER.id, 'chain')]);
    const outside = await h.docker.getNetwork(outsideNetworkName(CLUSTER.id, 'tor')).inspect();
    expect(outside.Internal).toBe(false);

    const bad = await h.repo.commit(fleetBehindTor('unhealthy'), 'tor breaks', { replaceAll: true });
    const result = await h.reconcile(CLUSTER.id, bad, 30);
    expect(result).toMatchObject({ outcome: 'rolled_back', rolledBackTo: good, appliedCommit: good });
    const after = await h.containers(CLUSTER.id);
    expect(after.map((c) => [c.service, c.state, c.health])).toEqual(
      ['beta', 'blockchain-core', 'blockchain-ledger', 'tor'].map((s) => [s, 'running', 'healthy']),
    );
  });

  it('a commit that replaces a healthy tor with an unhealthy one stops every workload (no rollback asked)', async () => {
    const bad = await h.repo.commit(fleetBehindTor('unhealthy', 2), 'tor breaks again', { replaceAll: true });
    const result = await h.client.workflow.execute<typeof reconcileCluster>('reconcileCluster', {
      taskQueue: RECONCILE_QUEUE,
      workflowId: reconcileWorkflowId(CLUSTER.id, bad),
      args: [{ clusterId: CLUSTER.id, commit: bad, healthTimeoutSeconds: 30, rollbackTo: null }],
    });
    expect(result.outcome).toBe('failed');
    const containers = await h.containers(CLUSTER.id);
    expect(containers.find((c) => c.service === 'tor')).toMatchObject({ state: 'running', health: 'unhealthy' });
    // The workloads ran a moment ago; with Tor replaced by an unhealthy one, Compose stopped them and holds them.
    expect(containers.filter((c) => c.service !== 'tor').map((c) => [c.service, c.state])).toEqual(
      ['beta', 'blockchain-core', 'blockchain-ledger'].map((s) => [s, 'exited']),
    );
  });
});
