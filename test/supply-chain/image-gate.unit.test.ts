import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { preAuthEncoding } from '../../supply-chain/attestations';
import { checkImages } from '../../supply-chain/image-gate';
import { RegistryError } from '../../supply-chain/registry-client';
import { ConfigError } from '../../config/config-error';
import type { ImagePolicy } from '../../config/image-policy';
import { vulnerabilityReport } from '../../demo/image-release';

/**
 * The image gate against a small registry serving artifacts in cosign's
 * formats (the real cosign's output is covered by test/security/image-gates):
 * layers that are not signed envelopes are ignored, and a registry that goes
 * away falls back to the digest's last passing verdict.
 */
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const routes = new Map<string, Buffer>();
let server: http.Server;
let registry: string;
let image: string;

function blob(body: Buffer | string): { mediaType: string; digest: string; size: number } {
  const b = Buffer.from(body);
  routes.set(`/v2/app/blobs/${sha(b)}`, b);
  return { mediaType: 'application/octet-stream', digest: sha(b), size: b.length };
}

function envelope(digest: string, predicateType: string, predicate: unknown): string {
  const statement = Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v0.1', predicateType, subject: [{ name: 'app', digest: { sha256: digest.slice(7) } }], predicate }));
  const type = 'application/vnd.in-toto+json';
  return JSON.stringify({ payloadType: type, payload: statement.toString('base64'), signatures: [{ sig: sign('sha256', preAuthEncoding(type, statement), privateKey).toString('base64') }] });
}

beforeAll(async () => {
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, layers: [] }));
  const digest = sha(manifest);
  routes.set(`/v2/app/manifests/${digest}`, manifest);
  const payload = Buffer.from(JSON.stringify({ critical: { identity: { 'docker-reference': 'app' }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' }, optional: null }));
  const sigLayer = { ...blob(payload), mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', annotations: { 'dev.cosignproject.cosign/signature': sign('sha256', payload, privateKey).toString('base64') } };
  routes.set(`/v2/app/manifests/${digest.replace(':', '-')}.sig`, Buffer.from(JSON.stringify({ schemaVersion: 2, layers: [sigLayer] })));
  const dsse = 'application/vnd.dsse.envelope.v1+json';
  const attLayers = [
    { ...blob('not json at all'), mediaType: dsse },
    { ...blob(envelope(digest, 'https://spdx.dev/Document', { spdxVersion: 'SPDX-2.3' })), mediaType: dsse },
    { ...blob(envelope(digest, 'https://cosign.sigstore.dev/attestation/vuln/v1', vulnerabilityReport({ critical: 0, high: 1 }, 'pkg:generic/t'))), mediaType: dsse },
  ];
  routes.set(`/v2/app/manifests/${digest.replace(':', '-')}.att`, Buffer.from(JSON.stringify({ schemaVersion: 2, layers: attLayers })));
  server = http.createServer((req, res) => {
    const body = routes.get(req.url ?? '');
    if (body) res.writeHead(200).end(body);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  registry = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  image = `${registry}/app@${digest}`;
});
afterAll(() => server.listening && new Promise<void>((r) => server.close(() => r())));

const policy = (): ImagePolicy => ({ registries: [registry], signers: [{ name: 'release', publicKey }], vulnerabilityBudget: { critical: 0, high: 1 } });

describe('checkImages', () => {
  const freshCache = () => fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-verdicts-'));
  /** Each case warms its own cache, so any one of them runs alone. */
  const warmCache = async (): Promise<string> => {
    const cacheDir = freshCache();
    await checkImages(policy(), [{ service: 'app', image }], cacheDir);
    return cacheDir;
  };

  it('passes a signed image whose attestations include a layer that is no envelope at all', async () => {
    const [verdict] = await checkImages(policy(), [{ service: 'app', image }], freshCache());
    expect(verdict).toMatchObject({ image, signer: 'release', sbom: 'https://spdx.dev/Document', critical: 0, high: 1 });
  });

  it('applies a tightened budget to a cached verdict', async () => {
    const tight = { ...policy(), vulnerabilityBudget: { critical: 0, high: 0 } };
    await expect(checkImages(tight, [{ service: 'app', image }], await warmCache())).rejects.toThrow(ConfigError);
  });

  // Stops the registry for good, so it stays the last case.
  it('with the registry gone, the last passing verdict stands in; without one the gate fails', async () => {
    const cacheDir = await warmCache();
    await new Promise<void>((r) => server.close(() => r()));
    const [verdict] = await checkImages(policy(), [{ service: 'app', image }], cacheDir);
    expect(verdict).toMatchObject({ image, signer: 'release' });
    await expect(checkImages(policy(), [{ service: 'app', image }], freshCache())).rejects.toThrow(RegistryError);
  });
});
