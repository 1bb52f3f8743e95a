import { execFile } from 'node:child_process';
import { createHash, createPublicKey } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { generateReleaseKey, releaseImage, type ReleaseKey } from '../../demo/image-release';
import { cosignTag } from '../../supply-chain/image-reference';
import { checkImages } from '../../supply-chain/image-gate';
import { RegistryWriter } from '../../supply-chain/registry-writer';
import { toolPaths } from '../../services/stack/tool-paths';
import { testStack } from '../support/test-stack';

/**
 * Images released by Lucid's TypeScript signer (no cosign involved) against
 * the real cosign v2.6.5 (`bootstrap.sh --all`) and Lucid's own image gate:
 * both accept them, and both refuse them once a signature or an attestation
 * is tampered with in the registry.
 */
const run = promisify(execFile);
let dir: string;
let key: ReleaseKey;
let registry: string;
let writer: RegistryWriter;

async function cosign(args: string[]): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await run(toolPaths().cosign, args, { env: { ...process.env, HOME: dir, COSIGN_PASSWORD: '' } });
    return { ok: true, output: stdout + stderr };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}
const pub = () => path.join(path.dirname(key.keyFile), 'cosign.pub');
const verifySignature = (ref: string) => cosign(['verify', '--key', pub(), '--insecure-ignore-tlog=true', ref]);
const verifyAttestation = (ref: string, type: string) => cosign(['verify-attestation', '--key', pub(), '--insecure-ignore-tlog=true', '--type', type, ref]);
const gate = (ref: string) =>
  checkImages(
    { registries: [registry], signers: [{ name: 'release', publicKey: createPublicKey(key.publicKey) }], vulnerabilityBudget: { critical: 0, high: 1 } },
    [{ service: 'app', image: ref }],
    fs.mkdtempSync(path.join(dir, 'verdicts-')),
  );

/** A small image pushed straight to the registry; `seed` makes its digest unique. */
async function pushTestImage(repository: string, seed: string): Promise<string> {
  const layer = await writer.pushBlob(repository, Buffer.from(`layer ${seed}`));
  const config = await writer.pushBlob(repository, Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.digest] } })));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
    }),
  );
  const digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
  await writer.pushManifest(repository, seed, manifest);
  return `${registry}/${repository}@${digest}`;
}

async function release(ref: string): Promise<void> {
  await releaseImage(key, ref, { packages: [{ name: 'busybox-static', version: 'test' }], findings: { critical: 0, high: 1 }, scanner: 'pkg:generic/test-scanner' });
}

/** Rewrites one layer of a cosign artifact in the registry, as someone with push access could. */
async function tamper(ref: string, suffix: 'sig' | 'att', index: number, change: (layer: { digest: string; size: number; annotations?: Record<string, string> }) => Promise<void>): Promise<void> {
  const [name, digest] = ref.slice(registry.length + 1).split('@');
  const tag = cosignTag(digest, suffix);
  const manifest = JSON.parse((await writer.manifest(name, tag))!.toString());
  await change(manifest.layers[index]);
  await writer.pushManifest(name, tag, Buffer.from(JSON.stringify(manifest)));
}

beforeAll(async () => {
  if (!fs.existsSync(toolPaths().cosign)) throw new Error(`cosign not built at ${toolPaths().cosign}: run \`bash scripts/bootstrap.sh --all\``);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-cosign-interop-'));
  registry = testStack().registry;
  writer = new RegistryWriter(registry);
  key = await generateReleaseKey(path.join(dir, 'key'), 'release');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the TypeScript cosign signer against the real cosign', () => {
  it('cosign verify and verify-attestation accept what it wrote, and so does the image gate', async () => {
    const ref = await pushTestImage('interop/app', `good-${Date.now()}`);
    await release(ref);
    await release(ref); // signing again adds no signature (cosign's dedupe); attesting again appends, as cosign does

    const sig = await verifySignature(ref);
    expect(sig.output).toContain('The signatures were verified against the specified public key');
    expect(sig.ok).toBe(true);
    expect(JSON.parse(sig.output.split('\n').find((l) => l.startsWith('['))!)).toHaveLength(1);
    for (const type of ['spdxjson', 'vuln']) {
      const att = await verifyAttestation(ref, type);
      expect(att.output).toContain('The signatures were verified against the specified public key');
      expect(att.ok).toBe(true);
    }
    const [verdict] = await gate(ref);
    expect(verdict).toMatchObject({ image: ref, signer: 'release', sbom: 'https://spdx.dev/Document', critical: 0, high: 1 });
  });

  it('the .sig artifact is byte for byte what cosign writes, but for the (randomised) ECDSA signature', async () => {
    const ref = await pushTestImage('interop/bytes', `bytes-${Date.now()}`);
    const [repository, digest] = ref.slice(registry.length + 1).split('@');
    const tag = cosignTag(digest, 'sig');
    expect((await cosign(['sign', '--key', key.keyFile, '--tlog-upload=false', '-y', ref])).ok).toBe(true);
    const byCosign = (await writer.manifest(repository, tag))!;
    const manifestDigest = `sha256:${createHash('sha256').update(byCosign).digest('hex')}`;
    expect((await fetch(`http://${registry}/v2/${repository}/manifests/${manifestDigest}`, { method: 'DELETE' })).status).toBe(202);
    await release(ref);
    const byLucid = (await writer.manifest(repository, tag))!;
    const unsigned = (m: Buffer) => m.toString().replace(/"dev\.cosignproject\.cosign\/signature":"[^"]+"/, 'SIGNATURE');
    expect(unsigned(byLucid)).toBe(unsigned(byCosign));
    expect(byLucid.equals(byCosign)).toBe(false);
  });

  it('a key the TypeScript signer generated signs with the real cosign', async () => {
    const ref = await pushTestImage('interop/by-cosign', `cosign-${Date.now()}`);
    const signed = await cosign(['sign', '--key', key.keyFile, '--tlog-upload=false', '-y', ref]);
    expect(signed.ok).toBe(true);
    expect((await verifySignature(ref)).ok).toBe(true);
    // Signed but not attested: the gate passes the signature and refuses for the missing SBOM.
    await expect(gate(ref)).rejects.toThrow(/sbom gate: no SBOM attestation/);
  });

  it('a tampered signature is refused by cosign and by the gate', async () => {
    const ref = await pushTestImage('interop/tampered-sig', `sig-${Date.now()}`);
    await release(ref);
    await tamper(ref, 'sig', 0, async (layer) => {
      const sig = Buffer.from(layer.annotations!['dev.cosignproject.cosign/signature'], 'base64');
      sig[sig.length - 1] ^= 1;
      layer.annotations!['dev.cosignproject.cosign/signature'] = sig.toString('base64');
    });
    const sig = await verifySignature(ref);
    expect(sig.ok).toBe(false);
    expect(sig.output).toContain('no matching signatures: invalid signature when validating ASN.1 encoded signature');
    await expect(gate(ref)).rejects.toThrow(/signature gate: .*signed only by keys not listed/);
  });

  it('a tampered attestation (predicate changed, signature kept) is refused by cosign and not counted by the gate', async () => {
    const ref = await pushTestImage('interop/tampered-att', `att-${Date.now()}`);
    await release(ref);
    const repository = ref.slice(registry.length + 1).split('@')[0];
    await tamper(ref, 'att', 1, async (layer) => {
      const envelope = JSON.parse(Buffer.from(await (await fetch(`http://${registry}/v2/${repository}/blobs/${layer.digest}`)).arrayBuffer()).toString());
      envelope.payload = Buffer.from(Buffer.from(envelope.payload, 'base64').toString().replace('"Severity":"HIGH"', '"Severity":"LOW"')).toString('base64');
      const pushed = await writer.pushBlob(repository, Buffer.from(JSON.stringify(envelope)));
      Object.assign(layer, pushed);
    });
    const att = await verifyAttestation(ref, 'vuln');
    expect(att.ok).toBe(false);
    // cosign drops the envelope whose signature fails, so only the SBOM is left of the vuln type
    expect(att.output).toContain('none of the attestations matched the predicate type: vuln, found: https://spdx.dev/Document');
    expect((await verifyAttestation(ref, 'spdxjson')).ok).toBe(true); // the untouched SBOM still verifies
    await expect(gate(ref)).rejects.toThrow(/vulnerabilities gate: no signed vulnerability report/);
  });
});
