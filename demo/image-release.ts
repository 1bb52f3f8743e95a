import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { toolPaths } from '../services/stack/tool-paths';

const run = promisify(execFile);

/**
 * What a release pipeline does before an image may reach a cluster: push it to
 * the registry, sign its digest and attest its SBOM and vulnerability report,
 * all with the real `cosign` and a key-based (offline, no transparency log)
 * signature. The demo, the tests and the benchmarks release their images
 * through here; clusters verify without cosign.
 */
export interface ReleaseKey {
  name: string;
  /** cosign.key (encrypted with an empty password) and cosign.pub. */
  keyFile: string;
  publicKey: string;
}

/** A scan's findings by severity, as the vulnerability report lists them. */
export interface Findings {
  critical: number;
  high: number;
  medium?: number;
}

async function cosign(args: string[], cwd: string): Promise<string> {
  const bin = toolPaths().cosign;
  if (!fs.existsSync(bin)) throw new Error(`cosign not installed at ${bin}: run \`npm run bootstrap\``);
  try {
    const { stdout } = await run(bin, args, { cwd, env: { ...process.env, COSIGN_PASSWORD: '', HOME: cwd } });
    return stdout;
  } catch (err) {
    throw new Error(`cosign ${args[0]} failed: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`);
  }
}

export async function generateReleaseKey(dir: string, name: string): Promise<ReleaseKey> {
  fs.mkdirSync(dir, { recursive: true });
  if (!fs.existsSync(path.join(dir, 'cosign.key'))) await cosign(['generate-key-pair'], dir);
  return { name, keyFile: path.join(dir, 'cosign.key'), publicKey: fs.readFileSync(path.join(dir, 'cosign.pub'), 'utf8') };
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

async function signImage(key: ReleaseKey, pinned: string): Promise<void> {
  await cosign(['sign', '--key', key.keyFile, '--tlog-upload=false', '-y', pinned], path.dirname(key.keyFile));
}

async function attest(key: ReleaseKey, pinned: string, type: string, predicate: object): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-attest-'));
  try {
    const file = path.join(dir, 'predicate.json');
    fs.writeFileSync(file, JSON.stringify(predicate));
    await cosign(['attest', '--key', key.keyFile, '--tlog-upload=false', '-y', '--type', type, '--predicate', file, pinned], path.dirname(key.keyFile));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
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
  if (opts.sbom) await attest(key, pinned, 'spdxjson', opts.sbom);
  if (opts.vulnerabilities) await attest(key, pinned, 'vuln', opts.vulnerabilities);
}

/** After the push: the digest signed, its SBOM (unless `sbom: false`) and vulnerability report attested. */
export async function releaseImage(
  key: ReleaseKey,
  pinned: string,
  opts: { packages: Array<{ name: string; version: string }>; findings: Findings; scanner: string; sbom?: boolean },
): Promise<void> {
  await signImage(key, pinned);
  await attestImage(key, pinned, {
    sbom: opts.sbom === false ? undefined : spdxSbom(pinned, opts.packages),
    vulnerabilities: vulnerabilityReport(opts.findings, opts.scanner),
  });
}
