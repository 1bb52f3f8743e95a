import { createHash, timingSafeEqual } from 'node:crypto';
import type * as http from 'node:http';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';

export interface CodecEndpointOptions {
  codec: PayloadCodec;
  /** Bearer token an operator's UI or CLI sends; without it nothing is decoded. */
  token: string;
  /** The Temporal UI origin allowed to call from a browser (CORS). */
  uiOrigin: string;
}

const wirePayloads = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), z.string()).optional(), data: z.string().optional() })),
});

/** Hashing first gives equal lengths, so the comparison leaks nothing about the token. */
function tokenMatches(header: string | undefined, token: string): boolean {
  const given = createHash('sha256').update(header ?? '').digest();
  return timingSafeEqual(given, createHash('sha256').update(`Bearer ${token}`).digest());
}

export function corsHeaders(opts: CodecEndpointOptions): Record<string, string> {
  return {
    'access-control-allow-origin': opts.uiOrigin,
    'access-control-allow-methods': 'POST',
    'access-control-allow-headers': 'authorization, content-type, x-namespace',
    'access-control-allow-credentials': 'true',
  };
}

/**
 * Temporal's remote codec protocol (`POST /codec/encode|decode`, JSON
 * `{payloads: [{metadata: {k: base64}, data: base64}]}`), so the UI and the
 * `temporal` CLI show decrypted history to an operator holding the token.
 */
export async function handleCodec(
  direction: 'encode' | 'decode',
  req: http.IncomingMessage,
  body: Buffer,
  opts: CodecEndpointOptions,
): Promise<{ status: number; body: unknown }> {
  if (!tokenMatches(req.headers.authorization, opts.token)) return { status: 401, body: { error: 'codec: missing or wrong bearer token' } };
  let parsed;
  try {
    parsed = wirePayloads.parse(JSON.parse(body.toString('utf8')));
  } catch {
    return { status: 400, body: { error: 'codec: body must be {"payloads": [{"metadata": {...}, "data": "<base64>"}]}' } };
  }
  const payloads: Payload[] = parsed.payloads.map((p) => ({
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(p.data ?? '', 'base64'),
  }));
  try {
    const out = direction === 'encode' ? await opts.codec.encode(payloads) : await opts.codec.decode(payloads);
    return {
      status: 200,
      body: {
        payloads: out.map((p) => ({
          metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
          data: Buffer.from(p.data ?? []).toString('base64'),
        })),
      },
    };
  } catch (err) {
    return { status: 422, body: { error: `codec: ${(err as Error).message}` } };
  }
}
