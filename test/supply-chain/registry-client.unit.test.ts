import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { RegistryClient, RegistryError, registryBaseUrl } from '../../supply-chain/registry-client';
import { ConnectProxy } from '../support/connect-proxy';

const sha = (b: string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const manifest = JSON.stringify({ schemaVersion: 2, layers: [{ mediaType: 'x', digest: sha('layer'), size: 5 }] });
let server: http.Server;
let client: RegistryClient;

/** A registry that serves one honest manifest and blob, and other bytes under a digest it does not match. */
beforeAll(async () => {
  server = http.createServer((req, res) => {
    const routes: Record<string, string> = {
      [`/v2/app/manifests/${sha(manifest)}`]: manifest,
      '/v2/app/manifests/v1': manifest,
      [`/v2/app/manifests/${sha('other')}`]: manifest,
      [`/v2/app/blobs/${sha('layer')}`]: 'layer',
      [`/v2/app/blobs/${sha('tampered')}`]: 'layer',
    };
    const body = routes[req.url ?? ''];
    if (req.url === '/v2/app/manifests/broken') res.writeHead(500).end();
    else if (body === undefined) res.writeHead(404).end();
    else res.writeHead(200).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  client = new RegistryClient(`127.0.0.1:${(server.address() as AddressInfo).port}`);
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('RegistryClient', () => {
  it('reads a manifest by digest or tag, reporting the digest of the bytes served', async () => {
    expect(await client.manifest('app', sha(manifest))).toEqual({ digest: sha(manifest), layers: [{ mediaType: 'x', digest: sha('layer'), size: 5 }] });
    expect((await client.manifest('app', 'v1'))?.digest).toBe(sha(manifest));
    expect((await client.blob('app', sha('layer'))).toString()).toBe('layer');
  });

  it('returns undefined for a missing manifest and fails on a server error', async () => {
    expect(await client.manifest('app', 'v9')).toBeUndefined();
    await expect(client.manifest('app', 'broken')).rejects.toThrow(/HTTP 500/);
  });

  it('refuses bytes that do not match the digest they were asked for', async () => {
    await expect(client.manifest('app', sha('other'))).rejects.toThrow(RegistryError);
    await expect(client.blob('app', sha('tampered'))).rejects.toThrow(/does not match its digest/);
    await expect(client.blob('app', sha('absent'))).rejects.toThrow(/is missing/);
  });

  it('speaks plain HTTP only to loopback registries', () => {
    expect(registryBaseUrl('127.0.0.1:5000')).toBe('http://127.0.0.1:5000/v2');
    expect(registryBaseUrl('localhost:5000')).toBe('http://localhost:5000/v2');
    expect(registryBaseUrl('mirror.lucid.onion')).toBe('https://mirror.lucid.onion/v2');
  });

  it('says which registry is unreachable', async () => {
    await expect(new RegistryClient('127.0.0.1:1').manifest('app', 'v1')).rejects.toThrow(/registry 127.0.0.1:1 unreachable/);
  });

  it('with an egress proxy reads only through it, and says so when the proxy is down', async () => {
    const registry = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    const proxy = new ConnectProxy();
    await proxy.start();
    const port = proxy.port;
    const proxied = new RegistryClient(registry, { host: '127.0.0.1', port });
    try {
      expect((await proxied.manifest('app', 'v1'))?.digest).toBe(sha(manifest));
      expect((await proxied.blob('app', sha('layer'))).toString()).toBe('layer');
      expect(proxy.count(registry)).toBe(2);
    } finally {
      await proxy.stop();
    }
    await expect(proxied.manifest('app', 'v1')).rejects.toThrow(
      `registry ${registry} unreachable through 127.0.0.1:${port}: egress proxy 127.0.0.1:${port}: cannot reach ${registry}: ECONNREFUSED`,
    );
  });
});
