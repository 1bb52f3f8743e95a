import * as http from 'node:http';
import * as https from 'node:https';
import { isIP } from 'node:net';
import * as tls from 'node:tls';
import type { EgressProxy } from '../config/egress-proxy';
import { openTunnel } from './connect-tunnel';

/**
 * A GET through the egress proxy: the tunnel is opened first and the request
 * (TLS for https) rides on it, so nothing reaches the target any other way.
 */
export async function proxiedGet(
  proxy: EgressProxy,
  url: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<{ status: number; body: Buffer }> {
  const u = new URL(url);
  const secure = u.protocol === 'https:';
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const raw = await openTunnel(proxy, host, Number(u.port || (secure ? 443 : 80)), timeoutMs);
  const socket = secure ? tls.connect({ socket: raw, servername: isIP(host) ? undefined : host }) : raw;
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request(u, { headers, agent: false, createConnection: () => socket, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.once('socket', (s) => s.resume());
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on('error', reject);
    req.end();
  });
}
