import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { GitMirror } from '../../repo/git-mirror';
import { ConnectProxy } from '../support/connect-proxy';
import { testStack } from '../support/test-stack';

/**
 * Config repo fetches of a proxied Pi (LUCID_TEMPORAL_PROXY) leave only through
 * the proxy: https through git's http.proxy, ssh through the ProxyCommand in
 * dist/egress. The remote is a TCP server that counts who connects to it.
 */
let proxy: ConnectProxy;
let remote: net.Server;
let direct = 0;
let dir: string;
const remotePort = () => (remote.address() as AddressInfo).port;
const egress = () => ({ host: '127.0.0.1', port: proxy.port });

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'px-git-'));
  proxy = new ConnectProxy(testStack().temporalPort + 72);
  await proxy.start();
  remote = net.createServer((s) => {
    direct++;
    s.end('SSH-2.0-not-really\r\n');
  });
  await new Promise<void>((r) => remote.listen(0, '127.0.0.1', () => r()));
});
afterAll(async () => {
  await proxy.stop();
  remote.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const URLS: Array<[string, () => string]> = [
  ['https', () => `https://127.0.0.1:${remotePort()}/config.git`],
  ['ssh', () => `ssh://git@127.0.0.1:${remotePort()}/config.git`],
];

describe('git fetches through the egress proxy', () => {
  it.each(URLS)('%s: the remote is reached through a CONNECT tunnel', async (kind, url) => {
    const before = proxy.count(`127.0.0.1:${remotePort()}`);
    await expect(new GitMirror(url(), path.join(dir, `${kind}.git`), egress()).fetch()).rejects.toThrow();
    expect(proxy.count(`127.0.0.1:${remotePort()}`)).toBeGreaterThan(before);
  });

  it.each(URLS)('%s: with the proxy down the fetch fails and nothing reaches the remote directly', async (kind, url) => {
    await proxy.stop();
    try {
      const seen = direct;
      await expect(new GitMirror(url(), path.join(dir, `${kind}-down.git`), egress()).fetch()).rejects.toThrow();
      expect(direct).toBe(seen);
    } finally {
      await proxy.start();
    }
  });

  it('refuses git:// with a proxy rather than sending it directly', () => {
    expect(() => new GitMirror(`git://127.0.0.1:${remotePort()}/config.git`, path.join(dir, 'git.git'), egress())).toThrow(
      /cannot go through the egress proxy \(LUCID_TEMPORAL_PROXY\)/,
    );
  });
});
