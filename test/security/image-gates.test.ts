import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { cosignTag, parseImageReference } from '../../supply-chain/image-reference';
import { DEFAULT_ALLOWLIST } from '../../config/fleet-taxonomy';
import { DEMO_APP } from '../../demo/demo-images';
import {
  attestImage,
  generateReleaseKey,
  pushImage,
  releaseImage,
  vulnerabilityReport,
  type Findings,
  type ReleaseKey,
} from '../../demo/image-release';
import { sampleFleetFiles, type SampleCluster, type SampleFleetOptions } from '../../demo/sample-fleet';
import { FleetHarness } from '../support/fleet-harness';

const CLUSTER: SampleCluster = { id: 'ig-a', group: 'blockchain', profiles: ['blockchain'], wave: 'canary' };
const COMPOSE = 'compose/docker-compose.yml';
let h: FleetHarness;
let keysDir: string;
let release: ReleaseKey;
let mallory: ReleaseKey;
let registry: string;

/** Pushes a local image under `repository:tag` and releases it as asked. */
async function publish(
  local: string,
  repository: string,
  tag: string,
  opts: { key?: ReleaseKey; sbom?: boolean; findings?: Findings } = {},
): Promise<string> {
  const ref = await pushImage(h.docker, local, registry, repository, tag);
  if (opts.key) {
    await releaseImage(opts.key, ref, {
      packages: [{ name: 'busybox-static', version: 'test' }],
      findings: opts.findings ?? { critical: 0, high: 1 },
      scanner: 'pkg:generic/test-scanner',
      sbom: opts.sbom,
    });
  }
  return ref;
}

const policy = (budget = { critical: 0, high: 2 }) => ({
  registries: [registry],
  signers: [{ name: release.name, publicKey: release.publicKey }],
  budget,
});

let good: string;
const fleet = (extra: SampleFleetOptions = {}) =>
  sampleFleetFiles({ clusters: [CLUSTER], version: 'good', imagePolicy: policy(), ...extra, images: { good, ...extra.images } });

beforeAll(async () => {
  keysDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-cosign-'));
  h = await FleetHarness.start('image-gates', [CLUSTER]);
  registry = h.stack.registry;
  [release, mallory] = await Promise.all([
    generateReleaseKey(path.join(keysDir, 'release'), 'release'),
    generateReleaseKey(path.join(keysDir, 'mallory'), 'mallory'),
  ]);
  good = await publish(`${DEMO_APP}:v1`, 'gates/app', 'v1', { key: release });
  await h.startControlWorker();
  await h.startClusterWorker(CLUSTER.id);
});
afterAll(async () => {
  await h?.close();
  fs.rmSync(keysDir, { recursive: true, force: true });
});

describe('image gates (policies/images.yaml)', () => {
  it('a pinned, signed, attested commit rolls out; the cluster pulls and runs the digest it verified', async () => {
    // Only the registry has the image under its name now, so the cluster must pull it from there.
    for (const ref of [good, `${registry}/gates/app:v1`]) await h.docker.getImage(ref).remove({ noprune: true });
    await expect(h.docker.getImage(good).inspect()).rejects.toThrow(/No such image/);
    const sha = await h.repo.commit(fleet(), 'release v1', { replaceAll: true });
    const status = await h.rollout(sha);
    expect(status.state).toBe('succeeded');
    const containers = await h.containers(CLUSTER.id);
    expect(containers.map((c) => c.service).sort()).toEqual(['beta', 'blockchain-core', 'blockchain-ledger']);
    for (const c of containers) expect(c.image).toBe(good);
    expect((await h.docker.getImage(good).inspect()).RepoDigests).toContain(good);
    const history = await h.cli(['rollout', 'history', sha.slice(0, 12), '--json']);
    // The fleet opts out of commit signatures only (policies/lucid.yaml), and the history says so.
    expect(history.stdout).toContain(
      'gates passed: commit signature NOT checked; 1 image pinned, signed by release, attested within budget; WARNING: insecure opt-out in policies/lucid.yaml: unsignedCommits',
    );

    const check = await h.cli(['policy', 'check', '--commit', sha, '--json']);
    expect(check.code).toBe(0);
    expect(JSON.parse(check.stdout)).toMatchObject({
      passed: true,
      gates: { images: 1, imageSigners: ['release'], insecure: ['unsignedCommits'] },
      images: [{ image: good, signer: 'release', sbom: 'https://spdx.dev/Document', critical: 0, high: 1 }],
    });
  });

  const cases: Array<[string, () => Promise<Record<string, string>>, { field: string; reason: RegExp; file?: string }]> = [
    [
      'an image by tag',
      async () => fleet({ images: { bad: `${registry}/gates/app:v1` }, serviceVersions: { 'blockchain-core': 'bad' } }),
      { field: 'services.blockchain-core.image', reason: /pinning gate: '.*gates\/app:v1' is not pinned by digest/ },
    ],
    [
      'a digest without a signature',
      async () => fleet({ images: { bad: await publish(`${DEMO_APP}:v2`, 'gates/unsigned', 'v2') }, serviceVersions: { 'blockchain-core': 'bad' } }),
      { field: 'services.blockchain-core.image', reason: /signature gate: sha256:[0-9a-f]+… has no cosign signature/ },
    ],
    [
      'a signature by a key not in the policy',
      async () => fleet({ images: { bad: await publish(`${DEMO_APP}:v2`, 'gates/foreign', 'v2', { key: mallory }) }, serviceVersions: { 'blockchain-ledger': 'bad' } }),
      { field: 'services.blockchain-ledger.image', reason: /signature gate: .*signed only by keys not listed in policies\/images.yaml/ },
    ],
    [
      'an image re-pushed under the signed tag (its new digest is unsigned)',
      async () => {
        const repushed = await publish(`${DEMO_APP}:v2`, 'gates/app', 'v1');
        expect(repushed).not.toBe(good);
        return fleet({ images: { bad: repushed }, serviceVersions: { 'blockchain-core': 'bad' } });
      },
      { field: 'services.blockchain-core.image', reason: /signature gate: sha256:[0-9a-f]+… has no cosign signature/ },
    ],
    [
      'a re-pushed image carrying the old digest\'s signature, copied by someone with registry write access',
      async () => {
        const repushed = await publish(`${DEMO_APP}:v2`, 'gates/app', 'v1');
        await copyManifest('gates/app', cosignTag(parseImageReference(good).digest!, 'sig'), cosignTag(parseImageReference(repushed).digest!, 'sig'));
        return fleet({ images: { bad: repushed }, serviceVersions: { 'blockchain-core': 'bad' } });
      },
      { field: 'services.blockchain-core.image', reason: /signature gate: the signature names another image/ },
    ],
    [
      'an image whose vulnerability report exceeds the budget',
      async () => fleet({ images: { bad: await publish(`${DEMO_APP}:v2`, 'gates/vulnerable', 'v2', { key: release, findings: { critical: 1, high: 0 } }) }, serviceVersions: { beta: 'bad' } }),
      { field: 'services.beta.image', reason: /vulnerabilities gate: 1 critical and 0 high findings .* exceed the budget of 0 critical, 2 high/ },
    ],
    [
      'an image without an SBOM attestation',
      async () => fleet({ images: { bad: await publish(`${DEMO_APP}:v2`, 'gates/no-sbom', 'v2', { key: release, sbom: false }) }, serviceVersions: { beta: 'bad' } }),
      { field: 'services.beta.image', reason: /sbom gate: no SBOM attestation/ },
    ],
    [
      'an image from a registry the policy does not list',
      async () => fleet({ images: { bad: `registry.invalid/app@${parseImageReference(good).digest}` }, serviceVersions: { beta: 'bad' } }),
      { field: 'services.beta.image', reason: /registry gate: registry.invalid is not listed/ },
    ],
    [
      'a service outside its group\'s allow-list',
      async () => ({
        ...fleet(),
        'policies/allowlist.yaml': stringify({
          ...DEFAULT_ALLOWLIST,
          groups: { ...DEFAULT_ALLOWLIST.groups, blockchain: { profiles: ['blockchain'], services: ['blockchain-core'] } },
        }),
      }),
      { field: 'services.blockchain-ledger', reason: /service 'blockchain-ledger' .* is not allowed for group 'blockchain'/ },
    ],
    [
      'a commit that deletes the image policy and opts out of it (the gates cannot be switched off)',
      async () => sampleFleetFiles({ clusters: [CLUSTER], version: 'v2', insecure: { unsignedCommits: true, unpinnedImages: true } }),
      { file: 'policies/images.yaml', field: '(file)', reason: /the image gates cannot be switched off/ },
    ],
    [
      'a commit on top of a refused deletion of the image policy',
      async () => {
        await h.repo.commit(sampleFleetFiles({ clusters: [CLUSTER], version: 'v2' }), 'drop the policy', { replaceAll: true });
        return sampleFleetFiles({ clusters: [CLUSTER], version: 'v1' });
      },
      { file: 'policies/images.yaml', field: '(file)', reason: /deleted in [0-9a-f]{12}: the image gates cannot be switched off/ },
    ],
  ];

  it.each(cases)('%s is refused by the rollout, the cluster itself and policy check; nothing changes', async (_name, files, expected) => {
    const before = (await h.containers(CLUSTER.id)).map((c) => `${c.id} ${c.startedAt}`);
    const sha = await h.repo.commit(await files(), 'bad release', { replaceAll: true });
    const rejection = { file: expected.file ?? COMPOSE, field: expected.field };

    const status = await h.rollout(sha);
    expect(status.state).toBe('halted');
    expect(status.reasons.join('\n')).toMatch(expected.reason);

    const direct = await h.reconcile(CLUSTER.id, sha);
    expect(direct.outcome).toBe('invalid');
    expect(direct.rejection).toMatchObject(rejection);
    expect(direct.rejection!.reason).toMatch(expected.reason);
    expect((await h.containers(CLUSTER.id)).map((c) => `${c.id} ${c.startedAt}`)).toEqual(before);

    const check = await h.cli(['policy', 'check', '--commit', sha, '--json']);
    expect(check.code).toBe(4);
    expect(JSON.parse(check.stdout)).toMatchObject({ commit: sha, passed: false, refusal: rejection });
  });

  it('tightening the budget refuses an image that passed, though its verdict is cached', async () => {
    const files = { ...fleet(), 'policies/images.yaml': stringify({ registries: [registry], signers: [{ name: 'release', publicKey: release.publicKey }], vulnerabilityBudget: { critical: 0, high: 0 } }) };
    const sha = await h.repo.commit(files, 'no high findings allowed', { replaceAll: true });
    const check = await h.cli(['policy', 'check', '--commit', sha, '--json']);
    expect(check.code).toBe(4);
    expect(JSON.parse(check.stdout).refusal.reason).toMatch(/vulnerabilities gate: 0 critical and 1 high findings .* exceed the budget of 0 critical, 0 high/);
  });

  it('a newer vulnerability report replaces an older one: new findings refuse an image that passed', async () => {
    const ref = await publish(`${DEMO_APP}:v2`, 'gates/rescanned', 'v2', { key: release });
    const sha = await h.repo.commit(fleet({ images: { bad: ref }, serviceVersions: { beta: 'bad' } }), 'rescanned image', { replaceAll: true });
    expect((await h.cli(['policy', 'check', '--commit', sha])).code).toBe(0);
    await attestImage(release, ref, { vulnerabilities: vulnerabilityReport({ critical: 2, high: 0 }, 'pkg:generic/test-scanner', new Date(Date.now() + 60_000)) });
    const check = await h.cli(['policy', 'check', '--commit', sha, '--json']);
    expect(check.code).toBe(4);
    expect(JSON.parse(check.stdout).refusal).toMatchObject({ field: 'services.beta.image', reason: expect.stringMatching(/2 critical/) });
  });
});

/** Copies a manifest from one tag to another, as anyone with push rights to the registry could. */
async function copyManifest(repository: string, from: string, to: string): Promise<void> {
  const base = `http://${registry}/v2/${repository}/manifests`;
  const accept = 'application/vnd.oci.image.manifest.v1+json';
  const res = await fetch(`${base}/${from}`, { headers: { accept } });
  expect(res.status).toBe(200);
  const put = await fetch(`${base}/${to}`, { method: 'PUT', headers: { 'content-type': accept }, body: Buffer.from(await res.arrayBuffer()) });
  expect(put.status).toBe(201);
}
