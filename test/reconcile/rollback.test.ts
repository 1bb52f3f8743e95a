import { DEMO_APP } from '../../demo/demo-images';
import type { SampleCluster } from '../../demo/sample-fleet';
import { FleetHarness } from '../support/fleet-harness';

const CLUSTER: SampleCluster = { id: 'rb-bc', group: 'blockchain', profiles: ['blockchain'], wave: 'canary' };
let h: FleetHarness;

beforeAll(async () => {
  h = await FleetHarness.start('rollback', [CLUSTER]);
  await h.startControlWorker();
  await h.startClusterWorker(CLUSTER.id);
});
afterAll(() => h?.close());

async function exec(service: string, cmd: string[]): Promise<string> {
  const c = (await h.containers(CLUSTER.id)).find((x) => x.service === service)!;
  // A TTY exec returns raw output, without Docker's stdout/stderr multiplexing headers.
  const ex = await h.docker.getContainer(c.id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, Tty: true });
  const stream = await ex.start({ Tty: true });
  const chunks: Buffer[] = [];
  await new Promise((r) => stream.on('data', (d: Buffer) => chunks.push(d)).on('end', r));
  return Buffer.concat(chunks).toString('utf8').trim();
}

describe('a commit that fails its healthcheck', () => {
  it('with no last good commit yet, ends failed and names the service', async () => {
    const bad = await h.commit({ version: 'v1', failing: ['blockchain-core'] }, 'first commit, broken core');
    const result = await h.reconcile(CLUSTER.id, bad, 30);
    expect(result.outcome).toBe('failed');
    expect(result.failure?.service).toBe('blockchain-core');
    expect((await h.store.get(CLUSTER.id)).lastGoodCommit).toBeUndefined();
  });

  it('is rolled back to the last good commit, and named volumes keep their data', async () => {
    const good = await h.commit({ version: 'v1' }, 'fleet on v1');
    expect((await h.reconcile(CLUSTER.id, good)).outcome).toBe('healthy');
    await exec('blockchain-ledger', ['sh', '-c', 'echo ledger-state-42 > /data/state']);

    const bad = await h.commit({ version: 'v2', failing: ['blockchain-ledger'] }, 'v2 with a broken ledger');
    const result = await h.reconcile(CLUSTER.id, bad, 30);

    expect(result).toMatchObject({ outcome: 'rolled_back', commit: bad, appliedCommit: good, rolledBackTo: good });
    expect(result.failure?.service).toBe('blockchain-ledger');
    expect(result.failure?.reason).toMatch(/unhealthy/);
    expect(result.failure?.lastHealthLog).toMatch(/exit 1/);

    const containers = await h.containers(CLUSTER.id);
    expect(containers.map((c) => c.service)).toEqual(['beta', 'blockchain-core', 'blockchain-ledger']);
    for (const c of containers) expect(c).toMatchObject({ image: `${DEMO_APP}:v1`, health: 'healthy', state: 'running' });
    expect(await exec('blockchain-ledger', ['cat', '/data/state'])).toBe('ledger-state-42');

    const record = await h.store.get(CLUSTER.id);
    expect(record).toMatchObject({ appliedCommit: good, lastGoodCommit: good, desiredCommit: bad });
    expect(record.badCommits).toContain(bad);
    const [latest] = await h.store.outcomes(CLUSTER.id, 1);
    expect(latest).toMatchObject({ outcome: 'rolled_back', commit: bad, rolledBackTo: good });
    expect(latest!.failure?.service).toBe('blockchain-ledger');
  });

  it('a compose failure (an image that does not exist) also rolls back', async () => {
    const good = (await h.store.get(CLUSTER.id)).lastGoodCommit!;
    const bad = await h.commit({ version: 'v1', serviceVersions: { 'blockchain-core': 'no-such-tag' } }, 'typo in a tag');
    const result = await h.reconcile(CLUSTER.id, bad, 30);
    expect(result).toMatchObject({ outcome: 'rolled_back', rolledBackTo: good });
    expect(result.failure?.reason).toMatch(/docker compose up failed/);
    for (const c of await h.containers(CLUSTER.id)) expect(c).toMatchObject({ image: `${DEMO_APP}:v1`, health: 'healthy' });
  });
});
