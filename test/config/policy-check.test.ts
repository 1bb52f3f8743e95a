/**
 * `lucid policy check` (a pull request's gate) end to end, on inputs it used
 * to pass while every cluster refused them, or accepted at any size.
 */
import { sampleFleetFiles, type SampleCluster } from '../../demo/sample-fleet';
import { FleetHarness } from '../support/fleet-harness';

const CLUSTER: SampleCluster = { id: 'pck-a', group: 'blockchain', profiles: ['blockchain'], wave: 'canary' };
const ENV = `clusters/${CLUSTER.id}/.env`;
const INVENTORY = 'clusters/clusters.yaml';
let h: FleetHarness;

const fleet = (over: Record<string, string | null> = {}) => ({ ...sampleFleetFiles({ clusters: [CLUSTER], version: 'v1' }), ...over });
/** The valid inventory padded with comment lines to `bytes`: as big as asked, saying nothing more. */
const paddedInventory = (bytes: number) => {
  const inv = fleet()[INVENTORY]!;
  return inv + `# ${'padding '.repeat(9)}\n`.repeat(Math.ceil((bytes - inv.length) / 75));
};

type Check = { code: number; json: { passed: boolean; refusal?: { file: string; field: string; reason: string } }; ms: number };
async function policyCheck(sha: string): Promise<Check> {
  const started = Date.now();
  const out = await h.cli(['policy', 'check', '--commit', sha, '--json']);
  return { code: out.code, json: JSON.parse(out.stdout), ms: Date.now() - started };
}

beforeAll(async () => {
  h = await FleetHarness.start('policy-check', [CLUSTER]);
  await h.startControlWorker();
  await h.startClusterWorker(CLUSTER.id);
});
afterAll(() => h?.close());

describe('lucid policy check', () => {
  it('refuses a .env line that is not KEY=VALUE (exit 4), and the cluster refuses it the same way', async () => {
    const bad = await h.repo.commit(fleet({ [ENV]: `${fleet()[ENV]}this line is not KEY=VALUE\n` }), 'bad env line', { replaceAll: true });
    const check = await policyCheck(bad);
    expect(check.code).toBe(4);
    expect(check.json).toMatchObject({ passed: false, refusal: { file: ENV, field: 'line 9' } });
    expect(check.json.refusal!.reason).toMatch(/'this line is not KEY' before '=' is not a variable name/);

    const result = await h.reconcile(CLUSTER.id, bad);
    expect(result.outcome).toBe('invalid');
    expect(result.rejection).toEqual(check.json.refusal);
  });

  it('refuses a 50 MB clusters.yaml padded with comments from its size, quickly', async () => {
    const big = await h.repo.commit(fleet({ [INVENTORY]: paddedInventory(50 * 1024 * 1024) }), '50 MB of comments', { replaceAll: true });
    const check = await policyCheck(big);
    expect(check.code).toBe(4);
    expect(check.json.refusal).toEqual({
      file: INVENTORY,
      field: '(file)',
      reason: expect.stringMatching(/^is 524\d{5} bytes, over the limit of 1048576 bytes \(1 MiB; raise inventory\.maxBytes in policies\/limits\.yaml\)$/),
    });
    // Fetch, checkout and a Node start included; parsing 50 MB of YAML alone took longer than this.
    expect(check.ms).toBeLessThan(15_000);
  });

  it('lets a bigger-but-sane clusters.yaml through once policies/limits.yaml raises the limit', async () => {
    const inventory = paddedInventory(2 * 1024 * 1024);
    const refused = await h.repo.commit(fleet({ [INVENTORY]: inventory }), '2 MiB inventory', { replaceAll: true });
    expect((await policyCheck(refused)).json.refusal).toMatchObject({ file: INVENTORY, field: '(file)' });

    const raised = await h.repo.commit(
      fleet({ [INVENTORY]: inventory, 'policies/limits.yaml': 'inventory:\n  maxBytes: 4 MiB\n' }),
      '2 MiB inventory, limit raised',
      { replaceAll: true },
    );
    const check = await policyCheck(raised);
    expect(check.code).toBe(0);
    expect(check.json.passed).toBe(true);
    expect((await h.reconcile(CLUSTER.id, raised)).outcome).toBe('healthy');
  });
});
