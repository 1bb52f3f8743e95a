import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Headers carrying an HMAC-SHA256 of the raw body, as each server spells it. Gitea sends all
 * three with the same digest (and GitHub's for compatibility); GitHub sends only the first.
 */
const SIGNATURE_HEADERS = [
  { name: 'x-hub-signature-256', pattern: /^sha256=([0-9a-f]{64})$/i },
  { name: 'x-gitea-signature', pattern: /^([0-9a-f]{64})$/i },
  { name: 'x-gogs-signature', pattern: /^([0-9a-f]{64})$/i },
] as const;

/** Below this, one signed delivery lets an attacker guess the secret offline and forge pushes. */
export const MIN_PUSH_SECRET_BYTES = 32;

/** Why a webhook secret cannot be used, or undefined when it can. */
export function pushSecretProblem(secret: string): string | undefined {
  // Anyone can compute an HMAC with an empty key, so an empty secret would let every forged push through.
  if (secret.length === 0) return 'webhook secret is empty: set the secret configured on the git server webhook';
  const bytes = Buffer.byteLength(secret, 'utf8');
  if (bytes < MIN_PUSH_SECRET_BYTES) {
    return (
      `webhook secret is ${bytes} bytes, under the minimum of ${MIN_PUSH_SECRET_BYTES}: a short secret can be guessed offline ` +
      'from one signed delivery, and then pushes forged; make one with `openssl rand -hex 32` and set it on the git server webhook too'
    );
  }
  return undefined;
}

export function assertPushSecret(secret: string): void {
  const problem = pushSecretProblem(secret);
  if (problem) throw new Error(problem);
}

/**
 * True when at least one signature header is present and every one present matches the body.
 * Requiring all of them leaves no header an attacker could pick to be the one that is checked.
 * `headers` are Node's, so names are lowercase.
 */
export function verifyPushSignature(headers: IncomingHttpHeaders, rawBody: Buffer, secret: string): boolean {
  assertPushSecret(secret);
  const presented = SIGNATURE_HEADERS.filter((h) => headers[h.name] !== undefined);
  if (presented.length === 0) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return presented.every((h) => {
    const value = headers[h.name];
    const hex = typeof value === 'string' ? h.pattern.exec(value)?.[1] : undefined;
    // The pattern pins the digest at 32 bytes, so timingSafeEqual never throws on a length
    // mismatch and a wrong length is rejected by format alone, before any byte is compared.
    return hex !== undefined && timingSafeEqual(Buffer.from(hex, 'hex'), expected);
  });
}
