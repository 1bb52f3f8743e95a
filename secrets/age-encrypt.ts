import { createCipheriv, generateKeyPairSync, randomBytes } from 'node:crypto';
import * as format from './age-format';
import { decodeBech32 } from './bech32';

/**
 * Encryption of age v1 files (https://age-encryption.org/v1) to X25519 recipients, byte for byte in the layout
 * `age -a -r …` writes (filippo.io/age: x25519.go Wrap, internal/format, internal/stream, armor), so the console
 * can seal a secret for a cluster without the age or sops binaries. age-decrypt.ts is the other half.
 */

/**
 * The 32-byte X25519 public key of an `age1…` recipient: bech32 with the `age` prefix, nothing else. Throws an
 * Error naming the recipient, except when it looks like a secret key, which is never echoed.
 */
export function parseAgeRecipient(recipient: string): Buffer {
  const bad = (why: string): Error => {
    if (/^age-secret-key-/i.test(recipient.trim())) {
      return new Error('age recipient is an AGE-SECRET-KEY-1… secret key, not an age1… public key (the secret key is not shown)');
    }
    const shown = recipient.length > 100 ? `${recipient.slice(0, 100)}…` : recipient;
    return new Error(`invalid age recipient ${JSON.stringify(shown)}: ${why}`);
  };
  let decoded;
  try {
    decoded = decodeBech32(recipient);
  } catch (err) {
    throw bad(`not bech32 (${(err as Error).message})`);
  }
  if (decoded.prefix !== 'age') throw bad('not an age1… X25519 recipient');
  if (decoded.data.length !== 32) throw bad(`${decoded.data.length} bytes, expected a 32-byte X25519 key`);
  return decoded.data;
}

/**
 * An ASCII-armored age file of `plaintext` that each of `recipients` (age1…) can open on its own: a fresh random
 * file key, one X25519 stanza per recipient with its own ephemeral key, the header MAC and the STREAM payload.
 */
export function encryptAge(plaintext: Buffer, recipients: readonly string[]): string {
  if (recipients.length === 0) throw new Error('age: no recipients given');
  const keys = recipients.map((r) => ({ recipient: r, key: parseAgeRecipient(r) }));
  const fileKey = randomBytes(format.FILE_KEY_SIZE);
  const stanzas = keys.map(({ recipient, key }) => x25519Stanza(fileKey, recipient, key));
  const withoutMac = Buffer.from(`${format.INTRO}\n${stanzas.join('')}---`, 'latin1');
  const header = Buffer.concat([withoutMac, Buffer.from(` ${format.rawBase64(format.headerMac(fileKey, withoutMac))}\n`, 'latin1')]);
  return armor(Buffer.concat([header, encryptPayload(fileKey, plaintext)]));
}

/** `-> X25519 <ephemeral share>` and the file key sealed with the key both sides derive from the shared secret. */
function x25519Stanza(fileKey: Buffer, recipient: string, theirs: Buffer): string {
  const ephemeral = generateKeyPairSync('x25519');
  const share = format.rawX25519PublicKey(ephemeral.publicKey);
  const wrapKey = format.x25519WrapKey(ephemeral.privateKey, format.x25519PublicKey(theirs), share, theirs);
  if (!wrapKey) throw new Error(`invalid age recipient ${JSON.stringify(recipient)}: a low-order X25519 point`);
  const body = sealChaCha(wrapKey, Buffer.alloc(12), fileKey);
  return `-> ${format.X25519_STANZA} ${format.rawBase64(share)}\n${wrapBase64(format.rawBase64(body))}\n`;
}

/** STREAM: 64 KiB chunks, nonce = 11-byte big-endian counter || 0x01 on the last chunk; only an empty file has an empty chunk. */
function encryptPayload(fileKey: Buffer, plaintext: Buffer): Buffer {
  const streamNonce = randomBytes(format.STREAM_NONCE_SIZE);
  const key = format.hkdf(fileKey, streamNonce, 'payload');
  const count = Math.max(1, Math.ceil(plaintext.length / format.CHUNK_SIZE));
  const out: Buffer[] = [streamNonce];
  for (let i = 0; i < count; i++) {
    const nonce = Buffer.alloc(12);
    nonce.writeUIntBE(i, 5, 6);
    if (i === count - 1) nonce[11] = 1;
    out.push(sealChaCha(key, nonce, plaintext.subarray(i * format.CHUNK_SIZE, (i + 1) * format.CHUNK_SIZE)));
  }
  return Buffer.concat(out);
}

function sealChaCha(key: Buffer, nonce: Buffer, plaintext: Buffer): Buffer {
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: format.TAG_SIZE });
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

/**
 * Go's WrappedBase64Encoder: a newline after every full 64-column line and none after the last, so a text whose
 * length is a multiple of 64 (or empty) ends with an empty last line.
 */
function wrapBase64(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i += format.COLUMNS) {
    const line = text.slice(i, i + format.COLUMNS);
    out += line.length === format.COLUMNS ? `${line}\n` : line;
  }
  return out;
}

/** PEM-like armor (armor.NewWriter): padded base64 in 64-column lines between the BEGIN and END lines. */
function armor(data: Buffer): string {
  const body = wrapBase64(data.toString('base64'));
  return `${format.ARMOR_BEGIN}\n${body}${body === '' || body.endsWith('\n') ? '' : '\n'}${format.ARMOR_END}\n`;
}
