import { createHmac, timingSafeEqual } from 'node:crypto';

/** A signed request older or newer than this (clock skew included) is refused: a captured one cannot be replayed later. */
export const MAX_SKEW_MS = 5 * 60_000;

const SCHEME = 'Lucid-Chunk-Host';

function mac(key: Buffer, method: string, urlPath: string, from: string, at: number): string {
  return createHmac('sha256', key).update(`${method}\n${urlPath}\n${from}\n${at}`).digest('hex');
}

/** The Authorization header of a request `from` (a node id, or `lucid-cli`) for `urlPath`, signed with the fleet's chunk-host key. */
export function signRequest(key: Buffer, method: string, urlPath: string, from: string, at = Date.now()): string {
  return `${SCHEME} from=${from},at=${at},sig=${mac(key, method, urlPath, from, at)}`;
}

/** Who signed the request, or why it is refused: no header, another scheme, out of time, or a signature that does not match. */
export function checkRequest(
  key: Buffer,
  method: string,
  urlPath: string,
  header: string | undefined,
  now = Date.now(),
): { from: string } | { refused: string } {
  if (!header) return { refused: 'no Authorization header' };
  const m = new RegExp(`^${SCHEME} from=([A-Za-z0-9_.-]{1,64}),at=(\\d{1,15}),sig=([0-9a-f]{64})$`).exec(header);
  if (!m) return { refused: `Authorization is not ${SCHEME} from=…,at=…,sig=…` };
  const [, from, atText, sig] = m as unknown as [string, string, string, string];
  const at = Number(atText);
  if (Math.abs(now - at) > MAX_SKEW_MS) return { refused: `signed at ${new Date(at).toISOString()}, more than ${MAX_SKEW_MS / 60_000} min from now` };
  if (!timingSafeEqual(Buffer.from(sig, 'hex'), Buffer.from(mac(key, method, urlPath, from, at), 'hex'))) return { refused: 'bad signature' };
  return { from };
}
