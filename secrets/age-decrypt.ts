import { createDecipheriv, createPrivateKey, type KeyObject, timingSafeEqual } from 'node:crypto';
import {
  ARMOR_BEGIN,
  ARMOR_END,
  BYTES_PER_LINE,
  CHUNK_SIZE,
  COLUMNS,
  FILE_KEY_SIZE,
  headerMac,
  hkdf,
  INTRO,
  PKCS8_X25519,
  rawBase64,
  rawX25519PublicKey,
  STREAM_NONCE_SIZE,
  TAG_SIZE,
  X25519_STANZA,
  x25519PublicKey,
  x25519WrapKey,
} from './age-format';
import { decodeBech32, encodeBech32 } from './bech32';

/**
 * Decryption of age v1 files (https://age-encryption.org/v1) for X25519 identities, binary or armored, so a
 * cluster worker reads its SOPS secrets without the age or sops binaries. Parsing is as strict as the Go
 * reference (filippo.io/age): a file age itself would refuse is refused here too.
 */

/**
 * `identity`: an identity is not a valid X25519 secret key. `no-match`: no identity opens any recipient stanza.
 * `invalid`: the file is malformed, tampered with or truncated.
 */
export type AgeErrorKind = 'identity' | 'no-match' | 'invalid';

export class AgeError extends Error {
  constructor(
    readonly kind: AgeErrorKind,
    readonly reason: string,
  ) {
    super(`age: ${reason}`);
    this.name = 'AgeError';
  }
}

interface Stanza {
  type: string;
  args: string[];
  body: Buffer;
}

interface Header {
  stanzas: Stanza[];
  /** The header bytes up to and including `---`, which the MAC covers. */
  macInput: Buffer;
  mac: Buffer;
  payload: Buffer;
}

interface X25519Identity {
  privateKey: KeyObject;
  publicKey: Buffer;
}

/**
 * Decrypts a whole age file. The plaintext is returned only after every chunk authenticated, so a
 * truncated or tampered file yields an error and no partial plaintext.
 */
export function decryptAge(file: Uint8Array, identities: readonly string[]): Buffer {
  const ids = identities.map(parseIdentity);
  if (ids.length === 0) throw new AgeError('identity', 'no identities given');
  const header = parseHeader(isArmored(file) ? dearmor(file) : Buffer.from(file));
  const fileKey = unwrapFileKey(header.stanzas, ids);
  const mac = headerMac(fileKey, header.macInput);
  if (!timingSafeEqual(mac, header.mac)) throw new AgeError('invalid', 'bad header MAC (the header was tampered with)');
  return decryptPayload(fileKey, header.payload);
}

/** The `age1…` recipient an identity decrypts for. */
export function ageRecipientOf(identity: string): string {
  return encodeBech32('age', parseIdentity(identity).publicKey);
}

function parseIdentity(text: string): X25519Identity {
  const decoded = (() => {
    try {
      return decodeBech32(text.trim());
    } catch (err) {
      throw new AgeError('identity', `malformed identity: ${(err as Error).message}`);
    }
  })();
  // The prefix stays out of the message: in a mangled key it can hold part of the secret.
  if (decoded.prefix !== 'AGE-SECRET-KEY-') throw new AgeError('identity', 'identity is not an AGE-SECRET-KEY-1… key');
  if (decoded.data.length !== 32) throw new AgeError('identity', 'malformed identity: not a 32-byte X25519 key');
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_X25519, decoded.data]), format: 'der', type: 'pkcs8' });
  return { privateKey, publicKey: rawX25519PublicKey(privateKey) };
}

function isArmored(file: Uint8Array): boolean {
  let i = 0;
  while (i < file.length && isSpace(file[i])) i++;
  return Buffer.from(file.subarray(i, i + ARMOR_BEGIN.length)).toString('latin1') === ARMOR_BEGIN;
}

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d || byte === 0x0b || byte === 0x0c;
}

/** PEM-like armor: padded base64 in 64-column lines, the last one short; only whitespace around it (≤ 1 KiB). */
function dearmor(file: Uint8Array): Buffer {
  const lines = Buffer.from(file).toString('latin1').split('\n').map((l) => l.replace(/\r$/, ''));
  let i = 0;
  let leading = 0;
  while (i < lines.length && lines[i].trim() === '') leading += lines[i++].length + 1;
  if (leading > 1024) throw new AgeError('invalid', 'armor: too much leading whitespace');
  if (lines[i++] !== ARMOR_BEGIN) throw new AgeError('invalid', 'armor: invalid first line');
  const parts: Buffer[] = [];
  for (;;) {
    if (i >= lines.length) throw new AgeError('invalid', 'armor: no closing line (truncated)');
    const line = lines[i++];
    if (line === ARMOR_END) break;
    if (line.length === 0) throw new AgeError('invalid', 'armor: empty line');
    if (line.length > COLUMNS) throw new AgeError('invalid', 'armor: line longer than 64 columns');
    const bytes = strictBase64(line, true);
    if (!bytes) throw new AgeError('invalid', 'armor: invalid base64');
    parts.push(bytes);
    if (bytes.length < BYTES_PER_LINE) {
      if (lines[i++] !== ARMOR_END) throw new AgeError('invalid', 'armor: short line not followed by the closing line');
      break;
    }
  }
  const trailing = lines.slice(i).join('\n');
  if (trailing.trim() !== '') throw new AgeError('invalid', 'armor: data after the closing line');
  if (trailing.length >= 1024) throw new AgeError('invalid', 'armor: too much trailing whitespace');
  return Buffer.concat(parts);
}

/** Canonical base64 only: a second spelling of the same bytes (non-zero trailing bits) is rejected. */
function strictBase64(text: string, padded: boolean): Buffer | undefined {
  const pattern = padded ? /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/ : /^[A-Za-z0-9+/]*$/;
  if (!pattern.test(text) || (!padded && text.length % 4 === 1)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return (padded ? bytes.toString('base64') : rawBase64(bytes)) === text ? bytes : undefined;
}

function parseHeader(data: Buffer): Header {
  let pos = 0;
  const nextLine = (): string => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) throw new AgeError('invalid', 'header is truncated');
    const line = data.subarray(pos, end).toString('latin1');
    pos = end + 1;
    return line;
  };
  if (data.length === 0) throw new AgeError('invalid', 'file is empty');
  if (nextLine() !== INTRO) throw new AgeError('invalid', `not an age v1 file (first line is not '${INTRO}')`);
  const stanzas: Stanza[] = [];
  for (;;) {
    const lineStart = pos;
    const line = nextLine();
    if (line.startsWith('---')) {
      const args = splitArgs(line, '---');
      const mac = args?.length === 1 ? strictBase64(args[0], false) : undefined;
      if (!mac || mac.length !== 32) throw new AgeError('invalid', 'malformed header closing line');
      if (stanzas.length === 0) throw new AgeError('invalid', 'header has no recipient stanzas');
      return { stanzas, macInput: data.subarray(0, lineStart + 3), mac, payload: data.subarray(pos) };
    }
    const args = line.startsWith('->') ? splitArgs(line, '->') : undefined;
    if (!args || args.length < 1) throw new AgeError('invalid', `malformed stanza line ${stanzas.length + 1}`);
    const body: Buffer[] = [];
    for (;;) {
      const bytes = strictBase64(nextLine(), false);
      if (!bytes || bytes.length > BYTES_PER_LINE) throw new AgeError('invalid', `malformed body of stanza ${stanzas.length + 1}`);
      body.push(bytes);
      if (bytes.length < BYTES_PER_LINE) break;
    }
    stanzas.push({ type: args[0], args: args.slice(1), body: Buffer.concat(body) });
  }
}

/** Arguments after `prefix`: single-space separated, each non-empty printable ASCII without spaces. */
function splitArgs(line: string, prefix: string): string[] | undefined {
  if (line === prefix) return [];
  if (!line.startsWith(`${prefix} `)) return undefined;
  const args = line.slice(prefix.length + 1).split(' ');
  return args.every((a) => /^[\x21-\x7e]+$/.test(a)) ? args : undefined;
}

function unwrapFileKey(stanzas: Stanza[], identities: X25519Identity[]): Buffer {
  for (const id of identities) {
    for (const stanza of stanzas) {
      const fileKey = unwrapX25519(stanza, id);
      if (fileKey) return fileKey;
    }
  }
  const types = [...new Set(stanzas.map((s) => s.type))].join(', ');
  throw new AgeError('no-match', `no identity matches any of the file's recipients (stanza types: ${types})`);
}

/** The file key, or undefined when the stanza is not for this identity; a malformed X25519 stanza throws. */
function unwrapX25519(stanza: Stanza, id: X25519Identity): Buffer | undefined {
  if (stanza.type !== X25519_STANZA) return undefined;
  const share = stanza.args.length === 1 ? strictBase64(stanza.args[0], false) : undefined;
  if (!share || share.length !== 32) throw new AgeError('invalid', 'invalid X25519 recipient stanza');
  if (stanza.body.length !== FILE_KEY_SIZE + TAG_SIZE) throw new AgeError('invalid', 'invalid X25519 stanza: wrong file key size');
  const wrapKey = x25519WrapKey(id.privateKey, x25519PublicKey(share), share, id.publicKey);
  if (!wrapKey) throw new AgeError('invalid', 'invalid X25519 stanza: low-order ephemeral share');
  return openChaCha(wrapKey, Buffer.alloc(12), stanza.body);
}

/** STREAM: 64 KiB chunks, nonce = 11-byte big-endian counter || 0x01 on the last chunk, else 0x00. */
function decryptPayload(fileKey: Buffer, payload: Buffer): Buffer {
  if (payload.length < STREAM_NONCE_SIZE) throw new AgeError('invalid', 'payload is truncated (no nonce)');
  const key = hkdf(fileKey, payload.subarray(0, STREAM_NONCE_SIZE), 'payload');
  const sealed = payload.subarray(STREAM_NONCE_SIZE);
  const nonce = Buffer.alloc(12);
  const chunks: Buffer[] = [];
  let off = 0;
  for (;;) {
    const rest = sealed.length - off;
    if (rest === 0) throw new AgeError('invalid', 'payload is truncated (no final chunk)');
    const short = rest < CHUNK_SIZE + TAG_SIZE;
    const chunk = sealed.subarray(off, off + CHUNK_SIZE + TAG_SIZE);
    off += chunk.length;
    // Only the first chunk may be empty; an empty final chunk after full ones is a non-canonical encoding.
    if (short && chunks.length > 0 && chunk.length === TAG_SIZE) throw new AgeError('invalid', 'payload ends with an empty chunk');
    let plain = short ? undefined : openChaCha(key, nonce, chunk);
    let last = short;
    if (!plain) {
      // A full-size chunk may still be the last one; the flag in the nonce says which.
      nonce[11] = 1;
      plain = openChaCha(key, nonce, chunk);
      last = true;
    }
    if (!plain) throw new AgeError('invalid', `payload chunk ${chunks.length} failed to authenticate (corrupted or tampered)`);
    chunks.push(plain);
    if (last) {
      if (off !== sealed.length) throw new AgeError('invalid', 'data after the final payload chunk');
      return Buffer.concat(chunks);
    }
    incrementCounter(nonce);
  }
}

function incrementCounter(nonce: Buffer): void {
  for (let i = 10; i >= 0; i--) {
    nonce[i] = (nonce[i] + 1) & 0xff;
    if (nonce[i] !== 0) return;
  }
  throw new AgeError('invalid', 'payload chunk counter overflow');
}

function openChaCha(key: Buffer, nonce: Buffer, sealed: Buffer): Buffer | undefined {
  if (sealed.length < TAG_SIZE) return undefined;
  const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_SIZE });
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_SIZE));
  const head = decipher.update(sealed.subarray(0, sealed.length - TAG_SIZE));
  try {
    return Buffer.concat([head, decipher.final()]);
  } catch {
    return undefined;
  }
}
