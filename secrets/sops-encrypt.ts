import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { encryptAge, parseAgeRecipient } from './age-encrypt';

/**
 * Encryption of a flat map of string secrets into a SOPS YAML file for age recipients, in the layout sops v3.13.3
 * writes (`sops encrypt --age …`), so the console seals a value for a cluster without the sops binary. The real
 * sops and decryptSopsYaml (sops-decrypt.ts) both open the result. Errors name keys and recipients, never a value.
 */

export const SOPS_VERSION = '3.13.3';
const UNENCRYPTED_SUFFIX = '_unencrypted';
const KEY = /^[A-Za-z0-9_.-]+$/;
// YAML 1.1 and 1.2 words a plain scalar would turn into a boolean or null rather than a string key.
const SPECIAL_WORD = /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL)$/;

/**
 * A SOPS YAML document holding each of `values` under its top-level key as an `ENC[AES256_GCM,…,type:str]` value
 * (an empty string stays `''`, as SOPS leaves it), with the data key sealed to every age recipient and the MAC
 * over the values in document order. Throws on a key SOPS would not round-trip or a bad recipient.
 */
export function encryptSopsYaml(values: Record<string, string>, recipients: readonly string[], now = new Date()): string {
  const entries = Object.entries(values);
  for (const [key, value] of entries) checkEntry(key, value);
  if (recipients.length === 0) throw new Error('sops: no age recipients given');
  for (const recipient of recipients) parseAgeRecipient(recipient);
  const lastModified = goRfc3339Utc(now);

  const dataKey = randomBytes(32);
  const mac = createHash('sha512');
  const lines: string[] = [];
  for (const [key, value] of entries) {
    mac.update(value, 'utf8');
    lines.push(`${yamlKey(key)}: ${value === '' ? '""' : sealValue(dataKey, value, `${key}:`)}`);
  }
  lines.push('sops:', '    age:');
  for (const recipient of recipients) {
    const enc = encryptAge(dataKey, [recipient]).replace(/\n$/, '').split('\n');
    lines.push('        - enc: |', ...enc.map((l) => `            ${l}`), `          recipient: ${recipient}`);
  }
  lines.push(
    `    lastmodified: "${lastModified}"`,
    `    mac: ${sealValue(dataKey, mac.digest('hex').toUpperCase(), lastModified)}`,
    `    unencrypted_suffix: ${UNENCRYPTED_SUFFIX}`,
    `    version: ${SOPS_VERSION}`,
  );
  return `${lines.join('\n')}\n`;
}

function checkEntry(key: string, value: unknown): void {
  const shown = JSON.stringify(key.length > 100 ? `${key.slice(0, 100)}…` : key);
  if (!KEY.test(key)) throw new Error(`invalid secret key ${shown}: only letters, digits, '_', '.' and '-' are allowed`);
  if (key === 'sops') throw new Error(`invalid secret key ${shown}: 'sops' is where SOPS keeps its metadata`);
  if (key.endsWith(UNENCRYPTED_SUFFIX)) {
    throw new Error(`invalid secret key ${shown}: SOPS leaves keys ending in '${UNENCRYPTED_SUFFIX}' unencrypted`);
  }
  if (typeof value !== 'string') throw new Error(`the value of secret key ${shown} is not a string`);
  // A lone surrogate has no UTF-8 encoding: it would come back as U+FFFD, not as the value given.
  if (/\p{Cs}/u.test(value)) throw new Error(`the value of secret key ${shown} is not well-formed Unicode (a lone surrogate)`);
}

/** A plain scalar when YAML reads it back as the same string, else double-quoted (the key charset needs no escapes). */
function yamlKey(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key) && !SPECIAL_WORD.test(key) ? key : `"${key}"`;
}

/** aes.Cipher.Encrypt: AES-256-GCM with a 32-byte random IV and the value's path as additional data. */
function sealValue(key: Buffer, plaintext: string, aad: string): string {
  const iv = randomBytes(32);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return `ENC[AES256_GCM,data:${data.toString('base64')},iv:${iv.toString('base64')},tag:${tag.toString('base64')},type:str]`;
}

/** time.Time.UTC().Format(time.RFC3339): whole seconds, `Z`; a year outside 0000–9999 has no such form. */
function goRfc3339Utc(now: Date): string {
  if (Number.isNaN(now.getTime())) throw new Error('sops: lastmodified is an invalid date');
  const text = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(text)) throw new Error(`sops: lastmodified ${text} is outside years 0000-9999`);
  return text;
}
