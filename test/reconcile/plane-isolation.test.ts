import { parse, stringify } from 'yaml';
import { BUSYBOX_IMAGE } from '../../compose/busybox-image';
import { planeNetworkName } from '../../compose/plane-networks';
import { probePlanes } from '../../compose/plane-probe';
import { DEMO_APP } from '../../demo/demo-images';
import { sampleFleetFiles, type SampleCluster } from '../../demo/sample-fleet';
import { reconcileWorkflowId } from '../../workflows/task-queues';
import { FleetHarness } from '../support/fleet-harness';

const CLUSTER: SampleCluster = { id: 'pl-adm', group: 'admin', profiles: ['admin'], wave: 'admin' };
const COMPOSE = 'compose/docker-compose.yml';
let h: FleetHarness;
let good: string;

beforeAll(async () => {
  h = await FleetHarness.start('plane-isolation', [CLUSTER]);
  await h.startControlWorker();
  await h.startClusterWorker(CLUSTER.id);
});
afterAll(() => h?.close());

/** Whether a TCP connect from inside `from`'s network namespace reaches `service` on :8080 at each of its addresses. */
async function reaches(from: string, service: string): Promise<boolean[]> {
  const containers = await h.containers(CLUSTER.id);
  const source = containers.find((c) => c.service === from)!;
  const target = await h.docker.getContainer(containers.find((c) => c.service === service)!.id).inspect();
  const addresses = Object.values(target.NetworkSettings.Networks).map((n) => n.IPAddress);
  return Promise.all(
    addresses.map(async (ip) => {
      const probe = await h.docker.createContainer({
        Image: BUSYBOX_IMAGE,
        Cmd: ['nc', '-w', '1', ip, '8080', '-e', 'true'],
        HostConfig: { NetworkMode: `container:${source.id}`, AutoRemove: false },
        name: `pl-test-probe-${from}-${service}-${ip.replace(/\./g, '-')}`,
      });
      try {
        await probe.start();
        return ((await probe.wait()) as { StatusCode: number }).StatusCode === 0;
      } finally {
        await probe.remove({ force: true });
      }
    }),
  );
}

describe('planes on the running cluster', () => {
  it('puts each service on its plane\'s internal network only, beta on all; the probe passes', async () => {
    good = await h.commit({ version: 'v1' }, 'admin cluster: admin-api on ops, walletd and tron-node on wallet');
    const result = await h.reconcile(CLUSTER.id, good);
    expect(result).toMatchObject({ outcome: 'healthy', appliedCommit: good });
    expect((await h.containers(CLUSTER.id)).map((c) => c.service)).toEqual(['admin-api', 'beta', 'tron-node', 'walletd']);

    const members = async (plane: 'ops' | 'chain' | 'wallet') => {
      const net = await h.docker.getNetwork(planeNetworkName(CLUSTER.id, plane)).inspect();
      const names = Object.values(net.Containers as Record<string, { Name: string }>).map((c) => c.Name.replace(/^lucid-pl-adm-|-\d+$/g, ''));
      return { internal: net.Internal as boolean, names: names.sort() };
    };
    expect(await members('ops')).toEqual({ internal: true, names: ['admin-api', 'beta'] });
    expect(await members('wallet')).toEqual({ internal: true, names: ['beta', 'tron-node', 'walletd'] });
    expect(await members('chain')).toEqual({ internal: true, names: ['beta'] });

    // Checked here without the probe's code: own plane answers, the other does not, at every address.
    expect(await reaches('walletd', 'tron-node')).toEqual([true]);
    expect(await reaches('admin-api', 'walletd')).toEqual([false]);
    expect(await reaches('tron-node', 'admin-api')).toEqual([false]);
    expect((await reaches('admin-api', 'beta')).filter(Boolean)).toHaveLength(1);

    // The reconcile ran prepare beside the fetch, the probe beside the health wait, and that probe settled it: none after health.
    // Run again, it checks 3 targets from each of the 3 services beta is not.
    const history = await h.client.workflow.getHandle(reconcileWorkflowId(CLUSTER.id, good)).fetchHistory();
    const activities = history.events!.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter(Boolean);
    expect(activities).toEqual(['loadClusterRecord', 'fetchCommit', 'prepareCommit', 'recordDesired', 'composeUp', 'probePlanes', 'waitHealthy', 'recordReconcile']);
    const started = Date.now();
    expect(await probePlanes(h.docker, CLUSTER.id)).toEqual({
      verified: true,
      findings: [],
      probes: 9,
      leaked: false,
      running: ['admin-api', 'beta', 'tron-node', 'walletd'],
    });
    process.stderr.write(`plane probe of ${CLUSTER.id}: ${Date.now() - started} ms\n`);
  });

  it('rolls back a commit whose ops service shares walletd\'s network, naming who reached whom', async () => {
    const files = sampleFleetFiles({ clusters: [CLUSTER], version: 'v1' });
    const compose = parse(files[COMPOSE]!);
    // In walletd's network namespace admin-api serves on 8081, so both stay healthy: only the probe can tell.
    compose.services['admin-api'] = {
      ...compose.services['admin-api'],
      network_mode: 'service:walletd',
      command: ['httpd', '-f', '-p', '8081', '-h', '/www'],
      healthcheck: { test: ['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:8081/version'], interval: '1s', timeout: '2s', retries: 3 },
      labels: { ...compose.services['admin-api'].labels, 'com.lucid.expose': '8081' },
    };
    const bad = await h.repo.commit(
      {
        ...files,
        [COMPOSE]: stringify(compose),
        // Once the runtime policy gates network_mode, this is what lets the leak through the file checks.
        'policies/runtime.yaml': stringify({ allow: { 'admin-api': ['network_mode'] } }),
      },
      'admin-api joins walletd\'s network namespace',
      { replaceAll: true },
    );
    const result = await h.reconcile(CLUSTER.id, bad, 30);

    expect(result).toMatchObject({ outcome: 'rolled_back', commit: bad, appliedCommit: good, rolledBackTo: good });
    expect(result.failure?.service).toBe('admin-api');
    expect(result.failure?.reason).toContain('plane leak: admin-api (ops) reached walletd (wallet) on 8080');
    expect(result.failure?.reason).toContain('plane leak: admin-api (ops) reached tron-node (wallet) on 8080');
    expect(result.failure?.reason).toContain('plane unreachable: admin-api (ops) cannot reach beta (ops) on 8080');

    const containers = await h.containers(CLUSTER.id);
    expect(containers.map((c) => c.service)).toEqual(['admin-api', 'beta', 'tron-node', 'walletd']);
    for (const c of containers) expect(c).toMatchObject({ image: `${DEMO_APP}:v1`, health: 'healthy', state: 'running', commit: good });
    const adminApi = await h.docker.getContainer(containers.find((c) => c.service === 'admin-api')!.id).inspect();
    expect(Object.keys(adminApi.NetworkSettings.Networks)).toEqual([planeNetworkName(CLUSTER.id, 'ops')]);
    expect(await reaches('admin-api', 'walletd')).toEqual([false]);

    const record = await h.store.get(CLUSTER.id);
    expect(record).toMatchObject({ appliedCommit: good, lastGoodCommit: good, desiredCommit: bad });
    expect(record.badCommits).toContain(bad);
    const [latest] = await h.store.outcomes(CLUSTER.id, 1);
    expect(latest).toMatchObject({ outcome: 'rolled_back', commit: bad, rolledBackTo: good });
    expect(latest!.failure?.reason).toContain('plane leak: admin-api (ops) reached walletd (wallet) on 8080');
  });
});
