import * as fs from 'node:fs';
import sodium from 'sodium-native';
import type { Address, Hex } from 'viem';
import { generatePrivateKey } from 'viem/accounts';
import { z } from 'zod';
import { assertPrivateFile } from '../chain/chain-key';
import { signerOf } from '../chain/evm-transactions';

/**
 * The payout signing key at rest: a JSON file holding the key sealed with XChaCha20-Poly1305
 * under a key that Argon2id (libsodium's crypto_pwhash) derives from a password kept in another
 * file. Both files are private to the wallet worker's user. The address is in clear, so an
 * operator can see which key a file holds; it is bound to the sealed key as associated data,
 * with the KDF parameters, so editing any of them makes the file fail to open.
 */

const FORMAT = 'lucid-payout-keystore/v1';
const NONCE_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
const TAG_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_ABYTES;
const MIN_PASSWORD = 12;

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `must be ${bytes} bytes of lowercase hex`);

const keystoreSchema = z.object({
  format: z.literal(FORMAT),
  address: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 20-byte 0x address'),
  kdf: z.object({
    alg: z.literal('argon2id13'),
    // Never below libsodium's interactive floor, whatever the file says.
    opslimit: z.number().int().min(sodium.crypto_pwhash_OPSLIMIT_INTERACTIVE).max(sodium.crypto_pwhash_OPSLIMIT_SENSITIVE),
    memlimit: z.number().int().min(sodium.crypto_pwhash_MEMLIMIT_INTERACTIVE).max(sodium.crypto_pwhash_MEMLIMIT_SENSITIVE),
    salt: hex(sodium.crypto_pwhash_SALTBYTES),
  }),
  cipher: z.object({ alg: z.literal('xchacha20poly1305-ietf'), nonce: hex(NONCE_BYTES), ciphertext: hex(32 + TAG_BYTES) }),
  createdAt: z.string(),
});
type KeystoreFile = z.infer<typeof keystoreSchema>;

/** Seals `key` (a fresh random one if none) into a new keystore file; refuses to replace one. Returns the key's address. */
export function createKeystore(file: string, passwordFile: string, key?: Hex): Address {
  // Checked first only to fail before the slow KDF; writeNew's link is what refuses a racing writer.
  if (fs.existsSync(file)) throw existsError(file);
  const k = key ?? generatePrivateKey();
  const address = addressOfKey(k, file);
  writeNew(file, seal(k, address, readPassword(passwordFile)));
  return address;
}

/** Opens the keystore: the key and its address. A wrong password and a changed file read alike: the file does not open. */
export function readKeystore(file: string, passwordFile: string): { key: Hex; address: Address } {
  assertPrivateFile(file, 'payout keystore');
  const ks = parseKeystore(file);
  const password = readPassword(passwordFile);
  const derived = deriveKey(password, ks.kdf);
  const plain = sodium.sodium_malloc(32);
  try {
    sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
      plain,
      null,
      Buffer.from(ks.cipher.ciphertext, 'hex'),
      associatedData(ks),
      Buffer.from(ks.cipher.nonce, 'hex'),
      derived,
    );
  } catch {
    throw new Error(`payout keystore ${file}: does not open with the password in ${passwordFile} (wrong password, or the file was changed)`);
  } finally {
    sodium.sodium_memzero(derived);
  }
  const key = `0x${plain.toString('hex')}` as Hex;
  sodium.sodium_memzero(plain);
  const address = addressOfKey(key, file);
  if (address.toLowerCase() !== ks.address.toLowerCase()) throw new Error(`payout keystore ${file}: the sealed key is not the key of address ${ks.address}`);
  return { key, address };
}

/**
 * Replaces the key with a fresh one under the same password. The old file is kept beside it as
 * `<file>.retired-<UTC time>` (never overwritten), because the old key is still needed until
 * the routers' payer moves on chain (setPayer, by the owner) and to sweep what is left on its
 * address; deleting it would strand both. Returns the old and the new address.
 */
export function rotateKeystore(file: string, passwordFile: string): { previous: Address; address: Address; retired: string } {
  const { address: previous } = readKeystore(file, passwordFile);
  const key = generatePrivateKey();
  const address = addressOfKey(key, file);
  const sealed = seal(key, address, readPassword(passwordFile));
  const retired = `${file}.retired-${new Date().toISOString().replace(/[-:.]/g, '')}`;
  fs.copyFileSync(file, retired, fs.constants.COPYFILE_EXCL);
  fs.chmodSync(retired, 0o400);
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, sealed, { mode: 0o400, flag: 'wx' });
  fs.renameSync(tmp, file);
  return { previous, address, retired };
}

function seal(key: Hex, address: Address, password: Buffer): string {
  const salt = Buffer.alloc(sodium.crypto_pwhash_SALTBYTES);
  const nonce = Buffer.alloc(NONCE_BYTES);
  sodium.randombytes_buf(salt);
  sodium.randombytes_buf(nonce);
  const header: Omit<KeystoreFile, 'cipher'> = {
    format: FORMAT,
    address,
    kdf: { alg: 'argon2id13', opslimit: sodium.crypto_pwhash_OPSLIMIT_MODERATE, memlimit: sodium.crypto_pwhash_MEMLIMIT_MODERATE, salt: salt.toString('hex') },
    createdAt: new Date().toISOString(),
  };
  const derived = deriveKey(password, header.kdf);
  const plain = sodium.sodium_malloc(32);
  Buffer.from(key.slice(2), 'hex').copy(plain);
  const ciphertext = Buffer.alloc(32 + TAG_BYTES);
  sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(ciphertext, plain, associatedData(header), null, nonce, derived);
  sodium.sodium_memzero(plain);
  sodium.sodium_memzero(derived);
  const ks: KeystoreFile = { ...header, cipher: { alg: 'xchacha20poly1305-ietf', nonce: nonce.toString('hex'), ciphertext: ciphertext.toString('hex') } };
  return `${JSON.stringify(ks, null, 2)}\n`;
}

function associatedData(ks: Pick<KeystoreFile, 'address' | 'kdf'>): Buffer {
  const { alg, opslimit, memlimit, salt } = ks.kdf;
  return Buffer.from([FORMAT, ks.address.toLowerCase(), alg, opslimit, memlimit, salt].join('\0'));
}

/** Zeroes the password once used: it is read again for each derivation. */
function deriveKey(password: Buffer, kdf: KeystoreFile['kdf']): Buffer {
  const out = sodium.sodium_malloc(sodium.crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
  sodium.crypto_pwhash(out, password, Buffer.from(kdf.salt, 'hex'), kdf.opslimit, kdf.memlimit, sodium.crypto_pwhash_ALG_ARGON2ID13);
  sodium.sodium_memzero(password);
  return out;
}

/** The password file's first line; private like the keystore, since it opens it. */
function readPassword(passwordFile: string): Buffer {
  assertPrivateFile(passwordFile, 'payout keystore password');
  const text = fs.readFileSync(passwordFile, 'utf8').replace(/\r?\n$/, '');
  if (text.includes('\n')) throw new Error(`payout keystore password ${passwordFile}: must be one line`);
  if (text.length < MIN_PASSWORD) throw new Error(`payout keystore password ${passwordFile}: shorter than ${MIN_PASSWORD} characters`);
  return Buffer.from(text, 'utf8');
}

function parseKeystore(file: string): KeystoreFile {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    throw new Error(`payout keystore ${file}: not JSON`);
  }
  const r = keystoreSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new Error(`payout keystore ${file}: ${i.path.join('.') || '(file)'}: ${i.message}`);
  }
  return r.data;
}

function addressOfKey(key: Hex, file: string): Address {
  return signerOf(key, `payout keystore ${file}: the key`).address;
}

/** A new private file, written whole then linked in place, so no reader sees half of it and nothing existing is replaced. */
function writeNew(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, text, { mode: 0o400, flag: 'wx' });
  try {
    fs.linkSync(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw existsError(file);
    throw e;
  } finally {
    fs.unlinkSync(tmp);
  }
}

function existsError(file: string): Error {
  return new Error(`payout keystore ${file}: exists already; rotate it with rotateKeystore instead`);
}
