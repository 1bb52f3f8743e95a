import { NativeConnection } from '@temporalio/worker';
import { proxyLabel, withoutProxySecret, type EgressProxy } from '../config/egress-proxy';
import type { TemporalConnectionOptions } from '../config/temporal-connection';
import { openTunnel } from '../egress/connect-tunnel';
import { writeJsonLog } from './json-logger';

const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;
/** How often a running worker checks that the proxy still reaches the console. */
const WATCH_EVERY_MS = 10_000;

/**
 * A Pi worker's connection to the console's Temporal: through the egress
 * proxy when one is configured (Temporal's core tunnels gRPC with CONNECT) and
 * never around it. While the console cannot be reached the worker says why in
 * its log and tries again, backing off to every 30 s; it does not give up, so
 * a Pi rejoins on its own once Tor is back.
 */
export async function connectToConsole(options: TemporalConnectionOptions, proxy: EgressProxy | undefined): Promise<NativeConnection> {
  const { address } = options;
  for (let wait = FIRST_RETRY_MS; ; wait = Math.min(wait * 2, MAX_RETRY_MS)) {
    try {
      return await NativeConnection.connect({
        ...options,
        ...(proxy && { proxy: { type: 'http-connect', targetHost: proxyLabel(proxy), basicAuth: proxy.basicAuth } }),
      });
    } catch (err) {
      writeJsonLog({
        level: 'WARN',
        message: 'console unreachable; retrying',
        meta: {
          temporal: address,
          proxy: proxy ? proxyLabel(proxy) : 'none (direct)',
          // Core's message carries a Rust backtrace after the reason; the reason is what an operator needs.
          error: withoutProxySecret(proxy, (err as Error).message.split('\n\nStack backtrace')[0]!),
          retryInSeconds: wait / 1000,
        },
      });
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

/**
 * While a proxied worker runs, Temporal's core retries its polls through the
 * proxy on its own (and only through it) but does not say why they fail. This
 * watch opens a CONNECT tunnel to the console every 10 s and logs, once per
 * failed check, that the console is unreachable through the proxy and why,
 * and once when it is back. Returns the function that stops it.
 */
export function watchConsoleEgress(address: string, proxy: EgressProxy, everyMs = WATCH_EVERY_MS): () => void {
  const [, host, port] = /^(.*):(\d+)$/.exec(address) ?? [];
  let down = false;
  const check = () =>
    openTunnel(proxy, host!, Number(port), everyMs).then(
      (socket) => {
        socket.destroy();
        if (down) writeJsonLog({ level: 'INFO', message: 'console reachable again through the egress proxy', meta: { temporal: address, proxy: proxyLabel(proxy) } });
        down = false;
      },
      (err: Error) => {
        down = true;
        writeJsonLog({
          level: 'WARN',
          message: 'console unreachable through the egress proxy; polls keep retrying through it, never directly',
          meta: { temporal: address, proxy: proxyLabel(proxy), error: withoutProxySecret(proxy, err.message), retryInSeconds: everyMs / 1000 },
        });
      },
    );
  const timer = setInterval(() => void check(), everyMs);
  return () => clearInterval(timer);
}
