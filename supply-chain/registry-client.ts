import { createHash } from 'node:crypto';
import { egressProxy, proxyLabel, type EgressProxy } from '../config/egress-proxy';
import { proxiedGet } from '../egress/proxied-get';

/** Media types of the manifests an image or a cosign artifact may be stored as. */
const MANIFEST_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

export interface OciDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export interface Manifest {
  /** Digest of the manifest bytes as served. */
  digest: string;
  layers: OciDescriptor[];
}

export class RegistryError extends Error {}

const TIMEOUT_MS = 10_000;

/** SPEC-3: the registry mirror is the only source of images; loopback registries speak plain HTTP, as Docker allows. */
export function registryBaseUrl(registry: string): string {
  const host = registry.replace(/:\d+$/, '');
  const plain = host === 'localhost' || /^127\./.test(host) || host === '[::1]';
  return `${plain ? 'http' : 'https'}://${registry}/v2`;
}

function sha256(body: Buffer): string {
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}

async function directGet(url: string, headers: Record<string, string>): Promise<{ status: number; body: Buffer }> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(TIMEOUT_MS) });
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

/**
 * Reads manifests and blobs from an OCI distribution registry (anonymous
 * access). Every body fetched by digest is hashed and compared, so a registry
 * cannot hand out other bytes than the ones that were signed.
 */
export class RegistryClient {
  /** With an egress proxy (LUCID_TEMPORAL_PROXY by default) every read goes through it, with no direct fallback. */
  constructor(
    readonly registry: string,
    private readonly proxy: EgressProxy | undefined = egressProxy(),
  ) {}

  private async get(path: string, accept?: string): Promise<Buffer | undefined> {
    const url = `${registryBaseUrl(this.registry)}/${path}`;
    const headers: Record<string, string> = accept ? { accept } : {};
    let res: { status: number; body: Buffer };
    try {
      res = this.proxy ? await proxiedGet(this.proxy, url, headers, TIMEOUT_MS) : await directGet(url, headers);
    } catch (err) {
      const via = this.proxy ? ` through ${proxyLabel(this.proxy)}` : '';
      throw new RegistryError(`registry ${this.registry} unreachable${via}: ${(err as Error).cause ?? (err as Error).message}`);
    }
    if (res.status === 404) return undefined;
    if (res.status < 200 || res.status > 299) throw new RegistryError(`registry ${this.registry}: GET ${path}: HTTP ${res.status}`);
    return res.body;
  }

  /** A manifest by digest or tag; undefined when the registry has none. */
  async manifest(repository: string, reference: string): Promise<Manifest | undefined> {
    const body = await this.get(`${repository}/manifests/${reference}`, MANIFEST_TYPES);
    if (!body) return undefined;
    const digest = sha256(body);
    if (reference.startsWith('sha256:') && digest !== reference) {
      throw new RegistryError(`registry ${this.registry}: manifest ${repository}@${reference} has digest ${digest}`);
    }
    const json = JSON.parse(body.toString('utf8')) as { layers?: OciDescriptor[] };
    return { digest, layers: json.layers ?? [] };
  }

  async blob(repository: string, digest: string): Promise<Buffer> {
    const body = await this.get(`${repository}/blobs/${digest}`);
    if (!body) throw new RegistryError(`registry ${this.registry}: blob ${repository}@${digest} is missing`);
    if (sha256(body) !== digest) throw new RegistryError(`registry ${this.registry}: blob ${repository}@${digest} does not match its digest`);
    return body;
  }
}
