import { createHash } from 'node:crypto';
import { registryBaseUrl, RegistryError } from './registry-client';

const TIMEOUT_MS = 30_000;
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/**
 * Pushes blobs and manifests to an OCI distribution registry, anonymously
 * and directly (a release pipeline's side: it writes to the registry it
 * releases into, not through a cluster's egress proxy).
 */
export class RegistryWriter {
  constructor(readonly registry: string) {}

  private async call(method: string, pathOrUrl: string, init: { headers?: Record<string, string>; body?: Buffer } = {}): Promise<Response> {
    const url = /^https?:/.test(pathOrUrl) ? pathOrUrl : `${registryBaseUrl(this.registry)}/${pathOrUrl}`;
    try {
      return await fetch(url, { method, headers: init.headers, body: init.body, signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (err) {
      throw new RegistryError(`registry ${this.registry} unreachable: ${(err as Error).cause ?? (err as Error).message}`);
    }
  }

  private failed(what: string, res: Response, body: string): RegistryError {
    return new RegistryError(`registry ${this.registry}: ${what}: HTTP ${res.status} ${body.slice(0, 300)}`.trim());
  }

  /** A manifest's bytes by tag, or undefined when the registry has none. */
  async manifest(repository: string, tag: string): Promise<Buffer | undefined> {
    const res = await this.call('GET', `${repository}/manifests/${tag}`, { headers: { accept: OCI_MANIFEST } });
    if (res.status === 404) return undefined;
    const body = Buffer.from(await res.arrayBuffer());
    if (!res.ok) throw this.failed(`GET ${repository}/manifests/${tag}`, res, body.toString('utf8'));
    return body;
  }

  /** Uploads a blob unless the repository has it (a monolithic upload: POST, then PUT with the digest). */
  async pushBlob(repository: string, body: Buffer): Promise<{ digest: string; size: number }> {
    const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    const head = await this.call('HEAD', `${repository}/blobs/${digest}`);
    if (head.ok) return { digest, size: body.length };
    const start = await this.call('POST', `${repository}/blobs/uploads/`);
    const location = start.headers.get('location');
    if (start.status !== 202 || !location) throw this.failed(`starting a blob upload to ${repository}`, start, await start.text());
    const url = new URL(location, `${registryBaseUrl(this.registry)}/`);
    url.searchParams.set('digest', digest);
    const put = await this.call('PUT', url.toString(), { headers: { 'content-type': 'application/octet-stream' }, body });
    if (put.status !== 201) throw this.failed(`uploading blob ${digest} to ${repository}`, put, await put.text());
    return { digest, size: body.length };
  }

  async pushManifest(repository: string, tag: string, body: Buffer): Promise<void> {
    const res = await this.call('PUT', `${repository}/manifests/${tag}`, { headers: { 'content-type': OCI_MANIFEST }, body });
    if (res.status !== 201) throw this.failed(`PUT ${repository}/manifests/${tag}`, res, await res.text());
  }
}
