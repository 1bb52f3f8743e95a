/**
 * Locked by default: a config repo without policies/allowed-signers and
 * policies/images.yaml is refused by the console, the rollout and the cluster,
 * unless policies/lucid.yaml opts out, which every view of the rollout then
 * shows as a warning. One repo, one cluster, commits in order.
 */
import { randomBytes } from 'node:crypto';
import { sampleFleetFiles, type SampleCluster, type SampleFleetOptions } from '../../demo/sample-fleet';
import { FleetHarness } from '../support/fleet-harness';

const CLUSTER: SampleCluster = { id: 'oo-a', group: 'blockchain', profiles: ['blockchain'], wave: 'canary' };
const PORT = 18784 + Number(process.env.LUCID_TEST_PORT_OFFSET ?? 0);
const SIGNERS = 'policies/allowed-signers';
const IMAGES = 'policies/images.yaml';
const OPT_OUT = 'policies/lucid.yaml';
let h: FleetHarness;

beforeAll(async () => {
  h = await FleetHarness.start('opt-out', [CLUSTER]);
  await h.startControlWorker();
  await h.startClusterWorker(CLUSTER.id);
  await h.serve(PORT, { LUCID_WEBHOOK_SECRET: randomBytes(32).toString('hex') });
});
afterAll(() => h?.close());

const running = async () => (await h.containers(CLUSTER.id)).map((c) => `${c.id} ${c.startedAt}`).sort();

/**
 * A commit refused everywhere for the same file and field: `lucid policy check` exits 4, the
 * rollout halts before wave 1, the cluster's own reconcile is invalid, and no container changes.
 */
async function refusedEverywhere(opts: SampleFleetOptions, message: string, file: string, field: string, reason: RegExp): Promise<void> {
  const before = await running();
  const sha = await h.commit({ version: 'v2', ...opts }, message);
  const check = await h.cli(['policy', 'check', '--commit', sha, '--json']);
  expect(check.code).toBe(4);
  expect(JSON.parse(check.stdout)).toEqual({ commit: sha, passed: false, refusal: { file, field, reason: expect.stringMatching(reason) } });
  expect(check.stderr).toContain(`refused: ${file}: ${field}:`);

  const status = await h.rollout(sha);
  expect(status.state).toBe('halted');
  const { refusal } = JSON.parse(check.stdout);
  expect(status.reasons).toEqual([`refused: ${file}: ${field}: ${refusal.reason}`]);
  expect(status.waves).toEqual([]);

  const direct = await h.reconcile(CLUSTER.id, sha);
  expect(direct.outcome).toBe('invalid');
  expect(direct.rejection).toEqual(refusal);
  expect(await running()).toEqual(before);
}

describe('gates on by default', () => {
  it('a repo with no policies at all is refused, naming policies/allowed-signers and how to add it; nothing runs', async () => {
    await refusedEverywhere({ insecure: false }, 'no policies', SIGNERS, '(file)', /^missing: commits must be SSH-signed .* or the repo opts out, visibly, with insecure: \{unsignedCommits: true\} in policies\/lucid\.yaml$/);
    expect(await running()).toEqual([]);
  });

  let optedOut: string;
  it('with both opt-outs the commit passes, and policy check says what is not checked (exit 0)', async () => {
    optedOut = await h.commit({ version: 'v1', insecure: { unsignedCommits: true, unpinnedImages: true } }, 'opt out of both');
    const check = await h.cli(['policy', 'check', '--commit', optedOut, '--json']);
    expect(check.code).toBe(0);
    const json = JSON.parse(check.stdout);
    expect(json).toMatchObject({ passed: true, gates: { insecure: ['unsignedCommits', 'unpinnedImages'] } });
    expect(json.warnings).toEqual([expect.stringMatching(/^commit signatures are not checked/), expect.stringMatching(/^images are not pinned, signed or attested/)]);
    expect(check.stderr).toMatch(/WARNING: commit signatures are not checked \(policies\/lucid\.yaml: insecure\.unsignedCommits\)/);

    const human = await h.cli(['policy', 'check', '--commit', optedOut]);
    expect(human.code).toBe(0);
    expect(human.stderr).toMatch(/passed \(1 cluster; images not checked\)\n {2}WARNING: commit signatures .*\n {2}WARNING: images are not pinned/);
  });

  it('it rolls out, and the rollout status, its history and /metrics show the opt-out', async () => {
    const status = await h.rollout(optedOut);
    expect(status).toMatchObject({ state: 'succeeded', insecure: ['unsignedCommits', 'unpinnedImages'] });

    const shown = await h.cli(['rollout', 'status', optedOut]);
    expect(shown.code).toBe(0);
    expect(shown.stderr).toMatch(/WARNING: commit signatures are not checked/);
    expect(shown.stderr).toMatch(/WARNING: images are not pinned/);
    const json = JSON.parse((await h.cli(['rollout', 'status', optedOut, '--json'])).stdout);
    expect(json).toMatchObject({ state: 'succeeded', insecure: ['unsignedCommits', 'unpinnedImages'] });

    const history = await h.cli(['rollout', 'history', optedOut]);
    expect(history.stdout).toMatch(
      /gates passed: commit signature NOT checked; images NOT checked; WARNING: insecure opt-out in policies\/lucid\.yaml: unsignedCommits, unpinnedImages/,
    );

    const metrics = await (await fetch(`http://127.0.0.1:${PORT}/metrics`)).text();
    expect(metrics).toMatch(/^lucid_insecure_optout\{gate="unsignedCommits"\} 1$/m);
    expect(metrics).toMatch(/^lucid_insecure_optout\{gate="unpinnedImages"\} 1$/m);
  });

  it('a malformed lucid.yaml is refused with its file, field and reason', async () => {
    const malformed = { [OPT_OUT]: 'insecure: {unsignedCommits: true, unpinnedImages: "yes"}\n' };
    const sha = await h.repo.commit({ ...sampleFleetFiles({ clusters: [CLUSTER], version: 'v2' }), ...malformed }, 'malformed opt-out', { replaceAll: true });
    const check = await h.cli(['policy', 'check', '--commit', sha, '--json']);
    expect(check.code).toBe(4);
    expect(JSON.parse(check.stdout).refusal).toEqual({ file: OPT_OUT, field: 'insecure.unpinnedImages', reason: expect.stringMatching(/boolean/) });
    const direct = await h.reconcile(CLUSTER.id, sha);
    expect(direct).toMatchObject({ outcome: 'invalid', rejection: JSON.parse(check.stdout).refusal });
    // The next commit's signature gate reads this one's lucid.yaml: put a good one back before the next case.
    await h.commit({ version: 'v1' }, 'opt out of both again');
  });

  it('opting out of commit signatures only leaves the image gates on', async () => {
    await refusedEverywhere({ insecure: { unsignedCommits: true } }, 'signatures only', IMAGES, '(file)', /^missing: images must be pinned .*insecure: \{unpinnedImages: true\} in policies\/lucid\.yaml$/);
  });

  it('opting out of images only leaves the signature gate on, from the next commit (the opt-out is read from the parent)', async () => {
    // Its parent still opts out of signatures, this commit of images: it passes, showing both.
    const sha = await h.commit({ version: 'v1', insecure: { unpinnedImages: true } }, 'images only');
    const check = await h.cli(['policy', 'check', '--commit', sha, '--json']);
    expect(check.code).toBe(0);
    expect(JSON.parse(check.stdout).gates.insecure).toEqual(['unsignedCommits', 'unpinnedImages']);
    // The next one, whose parent opts out of images only, meets the signature gate.
    await refusedEverywhere({ insecure: { unpinnedImages: true } }, 'images only, again', SIGNERS, '(file)', /^missing: commits must be SSH-signed/);
  });
});
