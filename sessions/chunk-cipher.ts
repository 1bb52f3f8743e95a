import sodium from 'sodium-native';

export const NONCE_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
const TAG_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_ABYTES;

/** The AEAD check of a chunk failed: wrong key, wrong place, or changed bytes. */
export class ChunkAuthError extends Error {}

/**
 * Associated data binding a chunk to its session and position, so a chunk
 * moved to another index or session no longer decrypts.
 */
export function chunkAad(sessionId: string, index: number): Buffer {
  const position = Buffer.alloc(8);
  position.writeBigUInt64BE(BigInt(index));
  return Buffer.concat([Buffer.from(`lucid/chunk/v1\0${sessionId}\0`), position]);
}

/** XChaCha20-Poly1305 with a fresh random 24-byte nonce: random nonces of this size never need a counter. */
export function sealChunk(key: Buffer, sessionId: string, index: number, plaintext: Buffer): { nonce: Buffer; ciphertext: Buffer } {
  const nonce = Buffer.alloc(NONCE_BYTES);
  sodium.randombytes_buf(nonce);
  const ciphertext = Buffer.alloc(plaintext.length + TAG_BYTES);
  sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(ciphertext, plaintext, chunkAad(sessionId, index), null, nonce, key);
  return { nonce, ciphertext };
}

export function openChunk(key: Buffer, sessionId: string, index: number, nonce: Buffer, ciphertext: Buffer): Buffer {
  if (ciphertext.length < TAG_BYTES || nonce.length !== NONCE_BYTES) throw new ChunkAuthError(`chunk ${index}: too short to be sealed`);
  const plaintext = Buffer.alloc(ciphertext.length - TAG_BYTES);
  try {
    sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(plaintext, null, ciphertext, chunkAad(sessionId, index), nonce, key);
  } catch {
    throw new ChunkAuthError(`chunk ${index}: AEAD check failed`);
  }
  return plaintext;
}
