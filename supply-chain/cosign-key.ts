import { createPrivateKey, generateKeyPairSync, randomBytes, scryptSync, type KeyObject } from 'node:crypto';
import sodium from 'sodium-native';
import { z } from 'zod';

/**
 * cosign's key files, read and written without cosign: `cosign.key` is a PKCS#8
 * ECDSA P-256 key encrypted the way go-securesystemslib's `encrypted` package
 * does (a scrypt key from the password, then NaCl secretbox), in a PEM block
 * "ENCRYPTED SIGSTORE PRIVATE KEY" (older cosign wrote "ENCRYPTED COSIGN PRIVATE
 * KEY", same contents); `cosign.pub` is the SPKI public key in PEM. Keys made
 * here sign with the real cosign too, and keys cosign made sign here.
 */
const PEM_TYPES = ['ENCRYPTED SIGSTORE PRIVATE KEY', 'ENCRYPTED COSIGN PRIVATE KEY'];

// cosign's parameters (go-securesystemslib's defaults): scrypt N=65536, r=8, p=1, 32-byte salt and key.
const SCRYPT = { N: 65536, r: 8, p: 1 };
const KEY_BYTES = sodium.crypto_secretbox_KEYBYTES;

const encryptedKey = z.object({
  kdf: z.object({
    name: z.literal('scrypt'),
    params: z.object({ N: z.number().int().positive(), r: z.number().int().positive(), p: z.number().int().positive() }),
    salt: z.string(),
  }),
  cipher: z.object({ name: z.literal('nacl/secretbox'), nonce: z.string() }),
  ciphertext: z.string(),
});

function scryptKey(password: string, salt: Buffer, params: { N: number; r: number; p: number }): Buffer {
  // scrypt needs 128·N·r bytes (64 MiB for cosign's parameters), above Node's 32 MiB default cap.
  return scryptSync(Buffer.from(password, 'utf8'), salt, KEY_BYTES, { ...params, maxmem: 256 * params.N * params.r });
}

function pem(type: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${type}-----\n${lines.join('\n')}\n-----END ${type}-----\n`;
}

export interface CosignKeyPair {
  /** The contents of cosign.key. */
  privateKeyPem: string;
  /** The contents of cosign.pub. */
  publicKeyPem: string;
}

/** A fresh ECDSA P-256 key pair in cosign's files, what `cosign generate-key-pair` writes. */
export function generateCosignKeyPair(password: string): CosignKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
  const salt = randomBytes(32);
  const nonce = randomBytes(sodium.crypto_secretbox_NONCEBYTES);
  const ciphertext = Buffer.alloc(pkcs8.length + sodium.crypto_secretbox_MACBYTES);
  sodium.crypto_secretbox_easy(ciphertext, pkcs8, nonce, scryptKey(password, salt, SCRYPT));
  // Field order as go-securesystemslib marshals its struct, so the file reads like cosign's.
  const body = JSON.stringify({
    kdf: { name: 'scrypt', params: SCRYPT, salt: salt.toString('base64') },
    cipher: { name: 'nacl/secretbox', nonce: nonce.toString('base64') },
    ciphertext: ciphertext.toString('base64'),
  });
  return {
    privateKeyPem: pem(PEM_TYPES[0], Buffer.from(body)),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** The signing key inside a cosign.key, decrypted with its password; `source` names the file in errors. */
export function loadCosignPrivateKey(keyPem: string, password: string, source: string): KeyObject {
  const m = /-----BEGIN ([A-Z ]+)-----\r?\n([\s\S]*?)-----END \1-----/.exec(keyPem);
  if (!m || !PEM_TYPES.includes(m[1])) throw new Error(`${source}: not a cosign private key (expected a PEM block ${PEM_TYPES.join(' or ')})`);
  let parsed: z.infer<typeof encryptedKey>;
  try {
    parsed = encryptedKey.parse(JSON.parse(Buffer.from(m[2].replace(/\s+/g, ''), 'base64').toString('utf8')));
  } catch (err) {
    throw new Error(`${source}: malformed encrypted cosign key: ${(err as Error).message}`);
  }
  const key = scryptKey(password, Buffer.from(parsed.kdf.salt, 'base64'), parsed.kdf.params);
  const ciphertext = Buffer.from(parsed.ciphertext, 'base64');
  const nonce = Buffer.from(parsed.cipher.nonce, 'base64');
  if (ciphertext.length < sodium.crypto_secretbox_MACBYTES || nonce.length !== sodium.crypto_secretbox_NONCEBYTES) {
    throw new Error(`${source}: malformed encrypted cosign key (ciphertext or nonce length)`);
  }
  const pkcs8 = Buffer.alloc(ciphertext.length - sodium.crypto_secretbox_MACBYTES);
  if (!sodium.crypto_secretbox_open_easy(pkcs8, ciphertext, nonce, key)) throw new Error(`${source}: wrong password for the cosign key`);
  const privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error(`${source}: only ECDSA P-256 cosign keys are supported (found ${privateKey.asymmetricKeyType})`);
  }
  return privateKey;
}
