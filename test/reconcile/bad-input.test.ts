import { parse, stringify } from 'yaml';
import { sampleFleetFiles, type SampleCluster } from '../../demo/sample-fleet';
import { FleetHarness } from '../support/fleet-harness';

const CLUSTER: SampleCluster = { id: 'bi-bc', group: 'blockchain', profiles: ['blockchain'], wave: 'canary' };
let h: FleetHarness;
let good: string;

type Files = Record<string, string | null>;
const INVENTORY = 'clusters/clusters.yaml';
const COMPOSE = 'compose/docker-compose.yml';

function editYaml(files: Files, file: string, edit: (doc: any) => void): Files {
  const doc = parse(files[file]!);
  edit(doc);
  return { ...files, [file]: stringify(doc) };
}

const CASES: Array<{ name: string; files: (f: Files) => Files; file: string; field: string | RegExp; reason: RegExp }> = [
  {
    name: 'unknown profile',
    files: (f) => editYaml(f, INVENTORY, (d) => (d.clusters[0].profiles = ['blockchainx'])),
    file: INVENTORY,
    field: 'clusters[0].profiles[0]',
    reason: /unknown profile 'blockchainx'/,
  },
  {
    name: 'duplicate cluster id',
    files: (f) => editYaml(f, INVENTORY, (d) => d.clusters.push({ ...d.clusters[0] })),
    file: INVENTORY,
    field: 'clusters[1].id',
    reason: /duplicate cluster id 'bi-bc' \(first at clusters\[0\]\)/,
  },
  {
    name: 'missing env file',
    files: (f) => ({ ...f, 'clusters/bi-bc/.env': null }),
    file: INVENTORY,
    field: 'clusters[0].env',
    reason: /not found/,
  },
  {
    name: 'YAML syntax error',
    files: (f) => ({ ...f, [COMPOSE]: `${f[COMPOSE]}  broken: [unclosed\n` }),
    file: COMPOSE,
    field: /^line \d+, column \d+$/,
    reason: /YAML syntax error/,
  },
  {
    name: 'service in a profile not allowed for the group',
    files: (f) =>
      editYaml(f, COMPOSE, (d) => (d.services.walletd = { ...d.services.walletd, profiles: ['blockchain'] })),
    file: COMPOSE,
    field: 'services.walletd',
    reason: /not allowed for group 'blockchain' of cluster 'bi-bc'/,
  },
  {
    name: 'a service with networks of its own, which could bridge planes',
    files: (f) => editYaml(f, COMPOSE, (d) => (d.services['blockchain-core'].networks = ['default'])),
    file: COMPOSE,
    field: 'services.blockchain-core.networks',
    reason: /^networks: is not allowed; Lucid puts each service on its com.lucid.plane label's network/,
  },
  {
    name: 'a service on the wallet plane the policy does not pair',
    files: (f) => editYaml(f, COMPOSE, (d) => (d.services['blockchain-ledger'].labels['com.lucid.plane'] = 'wallet')),
    file: COMPOSE,
    field: 'services.blockchain-ledger.labels.com.lucid.plane',
    reason: /the wallet plane holds only the services the runtime policy pairs \(walletd, tron-node\), not 'blockchain-ledger'/,
  },
  {
    name: 'a service with no plane label',
    files: (f) => editYaml(f, COMPOSE, (d) => delete d.services['blockchain-core'].labels['com.lucid.plane']),
    file: COMPOSE,
    field: 'services.blockchain-core.labels.com.lucid.plane',
    reason: /^missing: every service names its plane/,
  },
];

beforeAll(async () => {
  h = await FleetHarness.start('bad-input', [CLUSTER]);
  await h.startControlWorker();
  await h.startClusterWorker(CLUSTER.id);
  good = await h.commit({ version: 'v1' }, 'fleet on v1');
  expect((await h.reconcile(CLUSTER.id, good)).outcome).toBe('healthy');
});
afterAll(() => h?.close());

async function snapshot(): Promise<string[]> {
  return (await h.containers(CLUSTER.id)).map((c) => `${c.service} ${c.id} ${c.startedAt} ${c.image} ${c.health}`);
}

describe.each(CASES)('$name', ({ name, files, file, field, reason }) => {
  let bad: string;
  beforeAll(async () => {
    bad = await h.repo.commit(files(sampleFleetFiles({ clusters: [CLUSTER], version: 'v2' })), `bad: ${name}`, {
      replaceAll: true,
    });
  });

  it('the cluster refuses it with file, field and reason, and its containers are untouched', async () => {
    const before = await snapshot();
    const result = await h.reconcile(CLUSTER.id, bad);
    expect(result.outcome).toBe('invalid');
    expect(result.rejection?.file).toBe(file);
    expect(result.rejection?.field).toEqual(typeof field === 'string' ? field : expect.stringMatching(field));
    expect(result.rejection?.reason).toMatch(reason);
    expect(await snapshot()).toEqual(before);
    expect(await h.store.get(CLUSTER.id)).toMatchObject({ appliedCommit: good, lastGoodCommit: good });
  });

  it('the CLI refuses it before starting anything: exit 2 and the error as JSON', async () => {
    const before = await snapshot();
    const out = await h.cli(['cluster', 'reconcile', CLUSTER.id, '--commit', bad, '--wait', '--json']);
    expect(out.code).toBe(2);
    const { error } = JSON.parse(out.stdout) as { error: { file: string; field: string; reason: string } };
    expect(error.file).toBe(file);
    expect(error.reason).toMatch(reason);
    expect(out.stderr).toContain(file);
    expect(await snapshot()).toEqual(before);
  });
});

describe('a commit the cluster cannot fetch', () => {
  it('ends invalid with the reason, recorded, instead of failing the workflow', async () => {
    const result = await h.reconcile(CLUSTER.id, 'f'.repeat(40));
    expect(result.outcome).toBe('invalid');
    expect(result.failure?.reason).toMatch(/fetch failed: .*not found/);
    expect(result.appliedCommit).toBe(good);
    expect(await h.store.get(CLUSTER.id)).toMatchObject({ appliedCommit: good, lastGoodCommit: good });
  });
});

describe('other bad input to the CLI', () => {
  it('an unknown commit exits 2', async () => {
    const out = await h.cli(['cluster', 'reconcile', CLUSTER.id, '--commit', 'deadbeefdeadbeef', '--wait', '--json']);
    expect(out.code).toBe(2);
    expect(JSON.parse(out.stdout).error.message).toMatch(/commit 'deadbeefdeadbeef' not found/);
  });

  it('a cluster not in the inventory exits 2', async () => {
    const out = await h.cli(['cluster', 'reconcile', 'nope', '--commit', good, '--json']);
    expect(out.code).toBe(2);
    expect(JSON.parse(out.stdout).error.message).toMatch(/no cluster 'nope'/);
  });
});
