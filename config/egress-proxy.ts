import { z } from 'zod';
import { parseEnv } from './parse-env';

/**
 * The one way out of a Pi (SPEC-3 M7): an HTTP CONNECT proxy, which is what
 * Tor's `HTTPTunnelPort` offers. When set, the worker's Temporal connection,
 * its git fetches and its registry reads all go through it, with no direct
 * fallback.
 */
export interface EgressProxy {
  host: string;
  port: number;
  /** Temporal's core refuses ':' and '@' in either part, so the schema does too. */
  basicAuth?: { username: string; password: string };
}

export const EGRESS_PROXY_VARIABLE = 'LUCID_TEMPORAL_PROXY';

const FORM = /^(?:http:\/\/)?(?:([^:@/\s]+):([^:@/\s]+)@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})\/?$/;
const SHAPE = 'must be host:port or http://[user:password@]host:port (an HTTP CONNECT proxy such as Tor\'s HTTPTunnelPort)';

const proxySchema = z
  .string()
  .transform((value, ctx): EgressProxy => {
    const m = FORM.exec(value);
    if (!m) {
      const scheme = /^([a-z0-9+.-]+):\/\//i.exec(value)?.[1];
      const why = scheme && scheme !== 'http' ? `${SHAPE}; '${scheme}://' is not an HTTP CONNECT proxy` : SHAPE;
      ctx.addIssue({ code: 'custom', message: why });
      return z.NEVER;
    }
    const port = Number(m[4]);
    if (port < 1 || port > 65535) {
      ctx.addIssue({ code: 'custom', message: `port ${port} is out of range (1-65535)` });
      return z.NEVER;
    }
    return { host: m[3]!, port, ...(m[1] ? { basicAuth: { username: m[1], password: m[2]! } } : {}) };
  });

const egressSchema = z.object({ LUCID_TEMPORAL_PROXY: proxySchema.optional() });

/** The configured egress proxy, or undefined when this host reaches the console directly. */
export function egressProxy(env: NodeJS.ProcessEnv = process.env): EgressProxy | undefined {
  return parseEnv(egressSchema, env).LUCID_TEMPORAL_PROXY;
}

/** `host:port` only: what logs and errors name, never the credentials. */
export function proxyLabel(proxy: EgressProxy): string {
  return `${proxy.host}:${proxy.port}`;
}

/** The proxy as a URL with its credentials, for git's `http.proxy`; never log it. */
export function proxyUrl(proxy: EgressProxy): string {
  const auth = proxy.basicAuth ? `${encodeURIComponent(proxy.basicAuth.username)}:${encodeURIComponent(proxy.basicAuth.password)}@` : '';
  return `http://${auth}${proxyLabel(proxy)}`;
}

/** A `Proxy-Authorization` header value, when the proxy wants one. */
export function proxyAuthorization(proxy: EgressProxy): string | undefined {
  const a = proxy.basicAuth;
  return a && `Basic ${Buffer.from(`${a.username}:${a.password}`).toString('base64')}`;
}

/** Removes the proxy's password from a message that a library may have built from it. */
export function withoutProxySecret(proxy: EgressProxy | undefined, message: string): string {
  const secret = proxy?.basicAuth?.password;
  return secret ? message.split(secret).join('***').split(encodeURIComponent(secret)).join('***') : message;
}
