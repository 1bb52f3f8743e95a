import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { SampleCluster } from '../../demo/sample-fleet';
import { clusterQueue } from '../../workflows/task-queues';
import { ConnectProxy } from '../support/connect-proxy';
import { FleetHarness } from '../support/fleet-harness';

/**
 * Issue 13 part 4 (SPEC-3 M7): a Pi worker reaches the console only through
 * its egress proxy (LUCID_TEMPORAL_PROXY, Tor's HTTPTunnelPort in production),
 * and when the proxy is down or Tor cannot reach anything it says why, keeps
 * retrying through the proxy, never connects directly, and the console reports
 * the cluster unreachable rather than failed.
 */
const CLUSTERS: SampleCluster[] = [
  { id: 'px-a', group: 'blockchain', profiles: ['blockchain'], wave: 'canary' },
  { id: 'px-tor', group: 'sessions', profiles: ['sessions'], wave: 'canary' },
];
let h: FleetHarness;
let proxy: ConnectProxy;
let tor: ChildProcess | undefined;
let worker: ChildProcess;
let torWorker: ChildProcess;

beforeAll(async () => {
  h = await FleetHarness.start('egress-proxy', CLUSTERS);
  await h.startControlWorker();
  proxy = new ConnectProxy(h.stack.temporalPort + 70);
  await proxy.start();
});
afterAll(async () => {
  tor?.kill();
  await proxy?.stop();
  await h?.close();
});

/** The peers of every TCP socket the process holds, as `ss` sees them (host:port). */
function tcpPeersOf(pid: number): string[] {
  return execFileSync('ss', ['-tanpH'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(`pid=${pid},`) && !l.startsWith('LISTEN'))
    .map((l) => l.trim().split(/\s+/)[4]!);
}

/** Every peer a process's sockets had while `during` ran, sampled every 100 ms. */
async function peersWhile<T>(pid: number, during: Promise<T>): Promise<{ peers: Set<string>; result: T }> {
  const peers = new Set<string>();
  let done = false;
  const result = during.finally(() => (done = true));
  while (!done) {
    for (const p of tcpPeersOf(pid)) peers.add(p);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { peers, result: await result };
}

/** The JSON lines of a spawned worker's log (core's own lines are JSON too). */
function logOf(id: string): Array<Record<string, unknown>> {
  return fs
    .readFileSync(path.join(h.dataDir, `worker-${id}.log`), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function until<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; ) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
}

const temporalPort = () => `:${h.stack.temporalPort}`;

describe('a cluster worker with LUCID_TEMPORAL_PROXY', () => {
  it('reconciles a commit through the proxy, and no socket of its process goes to Temporal directly', async () => {
    worker = h.spawnWorker('cluster', 'px-a', { LUCID_TEMPORAL_PROXY: proxy.address });
    await h.untilServed(clusterQueue('px-a'));
    const sha = await h.commit({ version: 'v1' }, 'v1');
    const { peers, result } = await peersWhile(worker.pid!, h.reconcile('px-a', sha));
    expect(result).toMatchObject({ outcome: 'healthy', appliedCommit: sha });
    expect(proxy.count(h.stack.temporalAddress)).toBeGreaterThanOrEqual(1);
    expect([...peers].filter((p) => p.endsWith(temporalPort()))).toEqual([]);
    expect([...peers]).toContain(proxy.address);
  });
});

describe('Tor that cannot reach the console (running, but no bridge works: it never bootstraps)', () => {
  it('keeps the worker away: it logs why, retries, and never connects around it', async () => {
    const dir = path.join(h.dataDir, 'tor');
    fs.mkdirSync(path.join(dir, 'data'), { recursive: true, mode: 0o700 });
    const port = h.stack.temporalPort + 71;
    // The only bridge is a closed loopback port, so nothing leaves the host; loopback targets are allowed so the
    // CONNECT to the console waits for a circuit that never comes (504), as with a Pi whose Tor is unhealthy.
    fs.writeFileSync(
      path.join(dir, 'torrc'),
      [`DataDirectory ${dir}/data`, 'SocksPort 0', `HTTPTunnelPort 127.0.0.1:${port}`, 'UseBridges 1', 'Bridge 127.0.0.1:1',
        'ClientRejectInternalAddresses 0', 'SocksTimeout 5', `Log notice file ${dir}/tor.log`].join('\n'),
    );
    tor = spawn('tor', ['-f', path.join(dir, 'torrc')], { stdio: 'ignore' });
    await until('tor listens', () => new Promise<boolean>((r) => net.connect(port, '127.0.0.1').on('connect', function (this: net.Socket) { this.destroy(); r(true); }).on('error', () => r(false))));

    torWorker = h.spawnWorker('cluster', 'px-tor', { LUCID_TEMPORAL_PROXY: `127.0.0.1:${port}` });
    const retried = () => {
      const lines = logOf('px-tor').filter((l) => l.msg === 'console unreachable; retrying');
      return lines.length >= 3 ? lines : undefined;
    };
    const { peers, result: warnings } = await peersWhile(torWorker.pid!, until('three failed attempts', retried));
    expect(warnings[0]).toMatchObject({ level: 'WARN', proxy: `127.0.0.1:${port}`, temporal: h.stack.temporalAddress });
    // Tor answered 504: no circuit to the console. Core's backtrace is cut off; the reason stays.
    expect(warnings[0]!.error).toMatch(/CONNECT call failed with status: 504 Gateway Timeout$/);
    expect([...peers].filter((p) => p.endsWith(temporalPort()))).toEqual([]);
    expect([...peers].every((p) => p === `127.0.0.1:${port}`)).toBe(true);
    expect(torWorker.exitCode).toBeNull();
  });
});

describe('the proxy stopping mid-run', () => {
  it('cuts the worker off: it says why, does not reconnect directly, and the rollout reports its cluster unreachable', async () => {
    await proxy.stop();
    const warning = await until('a WARN naming the proxy', () =>
      logOf('px-a').find((l) => String(l.msg).startsWith('console unreachable through the egress proxy')),
    );
    expect(warning).toMatchObject({ level: 'WARN', proxy: proxy.address, temporal: h.stack.temporalAddress });
    expect(String(warning.error)).toMatch(/ECONNREFUSED/);

    const sha = await h.commit({ version: 'v2', waves: [{ name: 'canary', maxUnavailable: 0, pickupTimeoutSeconds: 3 }] }, 'v2');
    const { peers, result: status } = await peersWhile(worker.pid!, h.rollout(sha));
    expect([...peers].filter((p) => p.endsWith(temporalPort()))).toEqual([]);
    expect(status.state).toBe('halted');
    for (const id of ['px-a', 'px-tor']) {
      expect(status.waves[0]!.clusters.find((c) => c.id === id)).toMatchObject({ state: 'unreachable', healthy: false });
      expect(status.reasons).toContain(`wave canary: ${id} unreachable`);
    }
    const out = await h.cli(['cluster', 'status', 'px-a', '--json']);
    expect(JSON.parse(out.stdout)).toMatchObject({ id: 'px-a', reachable: false, healthy: false });
    expect(worker.exitCode).toBeNull();
  });

  it('and once the proxy is back the worker rejoins through it and reconciles again', async () => {
    const before = proxy.count(h.stack.temporalAddress);
    await proxy.start();
    await until('the worker tunnels to Temporal again', () => proxy.count(h.stack.temporalAddress) > before);
    const sha = await h.commit({ version: 'v2' }, 'v2 once the proxy is back');
    expect(await h.reconcile('px-a', sha)).toMatchObject({ outcome: 'healthy', appliedCommit: sha });
    expect(tcpPeersOf(worker.pid!).filter((p) => p.endsWith(temporalPort()))).toEqual([]);
  });
});

describe("dockerd's own pulls", () => {
  it('are off on a proxied Pi whose dockerd does not use the same proxy: an image not on the Pi is not fetched around it', async () => {
    expect(logOf('px-a').find((l) => String(l.msg).startsWith('dockerd does not pull through the egress proxy'))).toMatchObject({
      level: 'WARN',
      clusterId: 'px-a',
      proxy: proxy.address,
      dockerd: { httpProxy: 'none', httpsProxy: 'none', noProxy: 'none' },
    });
    const sha = await h.commit({ version: 'v9-never-built' }, 'an image that is not on the Pi');
    const result = await h.reconcile('px-a', sha);
    expect(result.outcome).toBe('rolled_back');
    expect(result.failure?.reason).toMatch(/--pull never/);
    expect(result.failure?.reason).toMatch(/No such image|pull/i);
  });
});
