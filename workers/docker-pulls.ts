import type Docker from 'dockerode';
import { z } from 'zod';
import { proxyLabel, type EgressProxy } from '../config/egress-proxy';
import { writeJsonLog } from './json-logger';

/** Compose's `--pull` for this Pi's `up`: `missing` is Compose's default, `never` keeps dockerd off the network. */
export type PullPolicy = 'missing' | 'never';

const dockerInfo = z.object({ HttpProxy: z.string().default(''), HttpsProxy: z.string().default(''), NoProxy: z.string().default('') });

/** host:port of a proxy URL as dockerd reports it (credentials masked as xxxxx), or '' when none. */
function hostPort(url: string): string {
  return url.replace(/^[a-z]+:\/\//i, '').replace(/^[^@/]*@/, '').replace(/\/$/, '');
}

/**
 * dockerd pulls images itself, with its own proxy settings, not the worker's.
 * With an egress proxy configured, a Pi lets Compose pull only when dockerd
 * sends HTTP and HTTPS through that same proxy with no exemptions; otherwise it
 * never pulls (images must already be on the Pi), so no pull goes around the
 * proxy. Without a proxy nothing changes.
 */
export async function pullPolicy(docker: Docker, proxy: EgressProxy | undefined, clusterId: string): Promise<PullPolicy> {
  if (!proxy) return 'missing';
  const info = dockerInfo.parse(await docker.info());
  const want = proxyLabel(proxy);
  if (hostPort(info.HttpProxy) === want && hostPort(info.HttpsProxy) === want && info.NoProxy === '') return 'missing';
  writeJsonLog({
    level: 'WARN',
    message: 'dockerd does not pull through the egress proxy: this cluster never pulls images, each must already be on the Pi',
    meta: {
      clusterId,
      proxy: want,
      dockerd: { httpProxy: hostPort(info.HttpProxy) || 'none', httpsProxy: hostPort(info.HttpsProxy) || 'none', noProxy: info.NoProxy || 'none' },
    },
  });
  return 'never';
}
