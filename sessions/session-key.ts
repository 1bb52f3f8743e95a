import { hkdfSync } from 'node:crypto';

/** Salt of the session key derivation; a new version of the scheme gets a new salt. */
export const SESSION_KEY_SALT = 'lucid/session-key/v1';

/**
 * A session's chunk key: HKDF-SHA256 (RFC 5869) with the node's 32-byte key as
 * input keying material, SESSION_KEY_SALT as salt and the session id (UTF-8)
 * as info; 32 bytes out. Each session gets its own key, so the node key never
 * encrypts anything itself and one session's key opens no other session.
 */
export function deriveSessionKey(nodeKey: Buffer, sessionId: string): Buffer {
  if (nodeKey.length !== 32) throw new Error(`the node key must be 32 bytes, got ${nodeKey.length}`);
  return Buffer.from(hkdfSync('sha256', nodeKey, SESSION_KEY_SALT, sessionId, 32));
}
