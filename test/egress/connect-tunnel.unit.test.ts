import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { EgressError, openTunnel } from '../../egress/connect-tunnel';
import { proxiedGet } from '../../egress/proxied-get';
import { ConnectProxy } from '../support/connect-proxy';

const AUTH = { username: 'pi', password: 's3cret' };
let proxy: ConnectProxy;
const proxies: ConnectProxy[] = [];
let banner: net.Server;
let web: http.Server;
const portOf = (s: net.Server) => (s.address() as AddressInfo).port;

beforeAll(async () => {
  // A server that speaks first, as ssh (its banner) and HTTP/2 (its SETTINGS) do.
  banner = net.createServer((s) => s.end('SSH-2.0-test\r\n'));
  web = http.createServer((req, res) => res.end(`you asked for ${req.url}`));
  await Promise.all([banner, web].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()))));
});
afterAll(async () => {
  for (const p of proxies) await p.stop();
  banner.close();
  web.closeAllConnections();
  web.close();
});

async function startProxy(): Promise<{ host: string; port: number; basicAuth: typeof AUTH }> {
  proxy = new ConnectProxy(0, AUTH);
  proxies.push(proxy);
  await proxy.start();
  return { host: '127.0.0.1', port: proxy.port, basicAuth: AUTH };
}

describe('openTunnel', () => {
  it('reaches the target only through the proxy and keeps what the target said first', async () => {
    const p = await startProxy();
    const socket = await openTunnel(p, '127.0.0.1', portOf(banner));
    const said = await new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString())).on('end', () => resolve(text)).resume();
    });
    expect(said).toBe('SSH-2.0-test\r\n');
    expect(proxy.count(`127.0.0.1:${portOf(banner)}`)).toBe(1);
  });

  it('is refused by a proxy that wants other credentials, naming the proxy and not the password', async () => {
    const p = await startProxy();
    const err = await openTunnel({ ...p, basicAuth: { username: 'pi', password: 'wrong' } }, '127.0.0.1', portOf(banner)).catch((e: Error) => e);
    expect(err).toBeInstanceOf(EgressError);
    expect((err as Error).message).toBe(`egress proxy ${p.host}:${p.port}: cannot reach 127.0.0.1:${portOf(banner)}: refused CONNECT: HTTP/1.1 407 Proxy Authentication Required`);
  });

  it('fails, and does not go direct, when the proxy is down', async () => {
    const p = await startProxy();
    await proxy.stop();
    await expect(openTunnel(p, '127.0.0.1', portOf(banner))).rejects.toThrow(`egress proxy ${p.host}:${p.port}: cannot reach 127.0.0.1:${portOf(banner)}: ECONNREFUSED`);
  });
});

describe('proxiedGet', () => {
  it('carries an HTTP GET through the tunnel', async () => {
    const p = await startProxy();
    const res = await proxiedGet(p, `http://127.0.0.1:${portOf(web)}/v2/app/manifests/v1`, { accept: 'x/y' }, 5000);
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('you asked for /v2/app/manifests/v1');
    expect(proxy.count(`127.0.0.1:${portOf(web)}`)).toBe(1);
  });
});
