import { createHmac, createPublicKey, diffieHellman, hkdfSync, type KeyObject } from 'node:crypto';

/**
 * What age v1 encryption (age-encrypt.ts) and decryption (age-decrypt.ts) share: the file format's constants
 * and the key derivations of https://age-encryption.org/v1, as the Go reference (filippo.io/age) has them.
 */

export const INTRO = 'age-encryption.org/v1';
export const ARMOR_BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----';
export const ARMOR_END = '-----END AGE ENCRYPTED FILE-----';
/** Stanza bodies and armor are base64 wrapped at 64 columns: 48 bytes a full line. */
export const COLUMNS = 64;
export const BYTES_PER_LINE = 48;
export const FILE_KEY_SIZE = 16;
export const TAG_SIZE = 16;
/** STREAM: the payload is sealed in 64 KiB chunks after a 16-byte nonce. */
export const CHUNK_SIZE = 64 * 1024;
export const STREAM_NONCE_SIZE = 16;
export const X25519_STANZA = 'X25519';
export const X25519_LABEL = 'age-encryption.org/v1/X25519';
// DER wrappings of a raw X25519 key (RFC 8410), the only raw-key import node:crypto offers for X25519.
export const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');
export const SPKI_X25519 = Buffer.from('302a300506032b656e032100', 'hex');

export function hkdf(ikm: Buffer, salt: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, 32));
}

/** Base64 without padding (Go's base64.RawStdEncoding), as the header uses for arguments, bodies and the MAC. */
export function rawBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64').replace(/=+$/, '');
}

/** The 32 raw bytes of an X25519 public key, or of the public half of a private one. */
export function rawX25519PublicKey(key: KeyObject): Buffer {
  return (key.type === 'private' ? createPublicKey(key) : key).export({ format: 'der', type: 'spki' }).subarray(SPKI_X25519.length);
}

/** An X25519 public key from its 32 raw bytes (any 32 bytes import; low-order points show in the shared secret). */
export function x25519PublicKey(raw: Buffer): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_X25519, raw]), format: 'der', type: 'spki' });
}

/**
 * The key that wraps the file key in an X25519 stanza, or undefined for a low-order point (an all-zero shared
 * secret), which age refuses on both sides. `share` is the ephemeral public key, `recipient` the long-term one.
 */
export function x25519WrapKey(privateKey: KeyObject, publicKey: KeyObject, share: Buffer, recipient: Buffer): Buffer | undefined {
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey, publicKey });
  } catch {
    return undefined;
  }
  if (shared.every((b) => b === 0)) return undefined;
  return hkdf(shared, Buffer.concat([share, recipient]), X25519_LABEL);
}

/** The header MAC: HMAC-SHA256 keyed by HKDF(file key, 'header') over the header through `---`. */
export function headerMac(fileKey: Buffer, macInput: Buffer): Buffer {
  return createHmac('sha256', hkdf(fileKey, Buffer.alloc(0), 'header')).update(macInput).digest();
}
