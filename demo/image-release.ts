import type { KeyObject } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { cosignAttest } from '../supply-chain/cosign-attest';
import { generateCosignKeyPair, loadCosignPrivateKey } from '../supply-chain/cosign-key';
import { cosignSign } from '../supply-chain/cosign-sign';

/**
 * What a release pipeline does before an image may reach a cluster: push it to
 * the registry, sign its digest and attest its SBOM and vulnerability report
 * with a key-based (offline, no transparency log) signature. It writes what
 * `cosign sign --key` and `cosign attest --key` write, with the TypeScript
 * signer (supply-chain/cosign-sign.ts), so `npm start` builds no cosign; the
 * interop test proves the real cosign verifies it. The demo, the tests and
 * the benchmarks release their images through here; clusters verify without cosign.
 */
export interface ReleaseKey {
  name: string;
  /** cosign.key (cosign's encrypted format, empty password) and cosign.pub. */
  keyFile: string;
  publicKey: string;
}

/** A scan's findings by severity, as the vulnerability report lists them. */
export interface Findings {
  critical: number;
  high: number;
  medium?: number;
}

// Decrypting a cosign key costs a deliberate scrypt (about 0.4 s); a release signs many images with one key.
const signingKeys = new Map<string, KeyObject>();
function signingKey(key: ReleaseKey): KeyObject {
  let k = signingKeys.get(key.keyFile);
  if (!k) {
    k = loadCosignPrivateKey(fs.readFileSync(key.keyFile, 'utf8'), '', key.keyFile);
    signingKeys.set(key.keyFile, k);
  }
  return k;
}

/** cosign.key and cosign.pub in `dir`, as `cosign generate-key-pair` with an empty password makes them; kept when present. */
export async function generateReleaseKey(dir: string, name: string): Promise<ReleaseKey> {
  fs.mkdirSync(dir, { recursive: true });
  const keyFile = path.join(dir, 'cosign.key');
  if (!fs.existsSync(keyFile)) {
    const pair = generateCosignKeyPair('');
    fs.writeFileSync(path.join(dir, 'cosign.pub'), pair.publicKeyPem);
    fs.writeFileSync(keyFile, pair.privateKeyPem, { mode: 0o600 });
  }
  return { name, keyFile, publicKey: fs.readFileSync(path.join(dir, 'cosign.pub'), 'utf8') };
}

/** Tags a local image into the registry and pushes it; returns `registry/repository@sha256:…`. */
export async function pushImage(docker: Docker, localImage: string, registry: string, repository: string, tag: string): Promise<string> {
  const target = `${registry}/${repository}`;
  await docker.getImage(localImage).tag({ repo: target, tag });
  const stream = await docker.getImage(`${target}:${tag}`).push({ authconfig: {} });
  const digest = await new Promise<string>((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null, out: Array<{ error?: string; aux?: { Digest?: string } }>) => {
      const failed = err?.message ?? out.find((o) => o.error)?.error;
      const pushed = out.find((o) => o.aux?.Digest)?.aux?.Digest;
      if (failed || !pushed) reject(new Error(`pushing ${target}:${tag}: ${failed ?? 'no digest reported'}`));
      else resolve(pushed);
    }),
  );
  return `${target}@${digest}`;
}

/** An SPDX 2.3 document listing the image's packages (name and version). */
function spdxSbom(image: string, packages: Array<{ name: string; version: string }>): object {
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: image,
    documentNamespace: `https://lucid.invalid/sbom/${encodeURIComponent(image)}`,
    creationInfo: { created: new Date().toISOString(), creators: ['Tool: lucid-image-release'] },
    packages: packages.map((p, i) => ({
      name: p.name,
      SPDXID: `SPDXRef-Package-${i}`,
      versionInfo: p.version,
      downloadLocation: 'NOASSERTION',
    })),
  };
}

/** cosign's vuln predicate around a Trivy-shaped result with the given findings. */
export function vulnerabilityReport(findings: Findings, scanner: string, scannedAt = new Date()): object {
  const list = (['CRITICAL', 'HIGH', 'MEDIUM'] as const).flatMap((severity) =>
    Array.from({ length: findings[severity.toLowerCase() as keyof Findings] ?? 0 }, (_, i) => ({
      VulnerabilityID: `LUCID-${severity}-${i + 1}`,
      Severity: severity,
    })),
  );
  const at = scannedAt.toISOString();
  return {
    invocation: { parameters: null, uri: '', event_id: '', 'builder.id': 'lucid-image-release' },
    scanner: { uri: scanner, version: '', db: { uri: '', version: '' }, result: { Results: [{ Target: 'image', Vulnerabilities: list }] } },
    metadata: { scanStartedOn: at, scanFinishedOn: at },
  };
}

export async function attestImage(
  key: ReleaseKey,
  pinned: string,
  opts: { sbom?: object; vulnerabilities?: object },
): Promise<void> {
  if (opts.sbom) await cosignAttest(signingKey(key), pinned, 'spdxjson', opts.sbom);
  if (opts.vulnerabilities) await cosignAttest(signingKey(key), pinned, 'vuln', opts.vulnerabilities);
}

/** After the push: the digest signed, its SBOM (unless `sbom: false`) and vulnerability report attested. */
export async function releaseImage(
  key: ReleaseKey,
  pinned: string,
  opts: { packages: Array<{ name: string; version: string }>; findings: Findings; scanner: string; sbom?: boolean },
): Promise<void> {
  await cosignSign(signingKey(key), pinned);
  await attestImage(key, pinned, {
    sbom: opts.sbom === false ? undefined : spdxSbom(pinned, opts.packages),
    vulnerabilities: vulnerabilityReport(opts.findings, opts.scanner),
  });
}
