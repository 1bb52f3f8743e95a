import * as fs from 'node:fs';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';
import { z } from 'zod';
import { EnvError, parseEnv } from './parse-env';

/**
 * How every Lucid process (CLI, workers, console, benches) reaches Temporal: the embedded stack's
 * plaintext loopback server, or an existing cluster with TLS, mTLS and/or an API key (Temporal Cloud).
 */
export interface TemporalConnectionOptions {
  address: string;
  /** Absent: plaintext. */
  tls?: TLSConfig;
  /** Sent as `Authorization: Bearer`; Temporal requires TLS with it, so TLS is on whenever it is set. */
  apiKey?: string;
}

const readable = (what: string) =>
  z.string().transform((file, ctx) => {
    try {
      return fs.readFileSync(file);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `cannot read the ${what} file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      return z.NEVER;
    }
  });

const connectionSchema = z.object({
  TEMPORAL_ADDRESS: z.string().regex(/^[^\s:]+:\d+$/, 'must be host:port').default('127.0.0.1:7233'),
  TEMPORAL_TLS: z.enum(['true', 'false', '1', '0'], { message: "must be 'true' or 'false'" }).optional(),
  TEMPORAL_TLS_CA_FILE: readable('CA certificate').optional(),
  TEMPORAL_TLS_CERT_FILE: readable('client certificate').optional(),
  TEMPORAL_TLS_KEY_FILE: readable('client key').optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().regex(/^[A-Za-z0-9.-]+$/, 'must be a host name').optional(),
  TEMPORAL_API_KEY_FILE: readable('API key').optional(),
});

/**
 * Reads and checks the connection variables (files are read here, so a bad path fails at start, naming its
 * variable). `address` overrides TEMPORAL_ADDRESS: the one `lucid dev up` recorded, say.
 */
export function temporalConnectionOptions(address?: string, env: NodeJS.ProcessEnv = process.env): TemporalConnectionOptions {
  const e = parseEnv(connectionSchema, env);
  if (!!e.TEMPORAL_TLS_CERT_FILE !== !!e.TEMPORAL_TLS_KEY_FILE) {
    const missing = e.TEMPORAL_TLS_CERT_FILE ? 'TEMPORAL_TLS_KEY_FILE' : 'TEMPORAL_TLS_CERT_FILE';
    throw new EnvError(missing, 'is not set: mTLS needs both TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE');
  }
  const apiKey = e.TEMPORAL_API_KEY_FILE?.toString('utf8').trim();
  if (e.TEMPORAL_API_KEY_FILE && !apiKey) throw new EnvError('TEMPORAL_API_KEY_FILE', 'the file is empty');
  const tlsDetails = e.TEMPORAL_TLS_CA_FILE || e.TEMPORAL_TLS_CERT_FILE || e.TEMPORAL_TLS_SERVER_NAME;
  const off = e.TEMPORAL_TLS === 'false' || e.TEMPORAL_TLS === '0';
  if (off && (tlsDetails || apiKey)) {
    throw new EnvError('TEMPORAL_TLS', `is false but ${apiKey ? 'TEMPORAL_API_KEY_FILE (sent only over TLS)' : 'TLS files or a server name'} are set`);
  }
  const on = e.TEMPORAL_TLS === 'true' || e.TEMPORAL_TLS === '1' || !!tlsDetails || !!apiKey;
  const tls: TLSConfig | undefined = on
    ? {
        ...(e.TEMPORAL_TLS_CA_FILE && { serverRootCACertificate: e.TEMPORAL_TLS_CA_FILE }),
        ...(e.TEMPORAL_TLS_CERT_FILE &&
          e.TEMPORAL_TLS_KEY_FILE && { clientCertPair: { crt: e.TEMPORAL_TLS_CERT_FILE, key: e.TEMPORAL_TLS_KEY_FILE } }),
        ...(e.TEMPORAL_TLS_SERVER_NAME && { serverNameOverride: e.TEMPORAL_TLS_SERVER_NAME }),
      }
    : undefined;
  return { address: address ?? e.TEMPORAL_ADDRESS, ...(tls && { tls }), ...(apiKey && { apiKey }) };
}

/** What `lucid dev status` says about the connection; never the key or the certificates. */
export function describeTls(o: TemporalConnectionOptions): string {
  if (!o.tls) return 'off';
  const parts = [o.tls.clientCertPair ? 'mTLS' : 'on', ...(o.tls.serverRootCACertificate ? ['own CA'] : []), ...(o.apiKey ? ['API key'] : [])];
  return parts.join(', ');
}
