import { createDecipheriv, createHash, timingSafeEqual } from 'node:crypto';
import { isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../config/config-error';
import { AgeError, ageRecipientOf, decryptAge } from './age-decrypt';

/**
 * Decryption of SOPS-encrypted YAML (age recipients only), following getsops/sops v3.13: `sops.go`
 * (Tree.Decrypt, shouldBeEncrypted, ToBytes), `aes/cipher.go` (ENC values), `cmd/sops/common/common.go`
 * (DecryptTree: the MAC check) and `stores/yaml/store.go` (document order). The whole file authenticates or
 * nothing is returned.
 */

/** A refused secrets file. `field` is a value's path or a `sops.` metadata field; never a plaintext value. */
export class SopsError extends ConfigError {
  constructor(file: string, field: string, reason: string) {
    super(file, field, reason);
    this.name = 'SopsError';
  }
}

export type SopsValue = string | number | boolean | null | SopsValue[] | { [key: string]: SopsValue };

const AgeKey = z.object({ recipient: z.string(), enc: z.string() });

const Metadata = z.object({
  age: z.array(AgeKey).optional(),
  key_groups: z.array(z.object({ age: z.array(AgeKey).nullish() })).optional(),
  lastmodified: z.string(),
  mac: z.string(),
  unencrypted_suffix: z.string().optional(),
  encrypted_suffix: z.string().optional(),
  unencrypted_regex: z.string().optional(),
  encrypted_regex: z.string().optional(),
  unencrypted_comment_regex: z.string().optional(),
  encrypted_comment_regex: z.string().optional(),
  mac_only_encrypted: z.boolean().optional(),
});
type Metadata = z.infer<typeof Metadata>;

// sops.MACOnlyEncryptedInitialization: sha256("sops"), so a MAC over encrypted values only never equals a full one.
const MAC_ONLY_ENCRYPTED_INIT = createHash('sha256').update('sops').digest();
const ENC_VALUE = /^ENC\[AES256_GCM,data:([A-Za-z0-9+/]+={0,2}),iv:([A-Za-z0-9+/]+={0,2}),tag:([A-Za-z0-9+/]+={0,2}),type:([a-z]+)\]$/;

/** Which leaves SOPS encrypted: one rule at most, by default keys ending in `_unencrypted` stay plain. */
type EncryptionRule = (path: string[]) => boolean;

/**
 * Decrypts every value of a SOPS YAML file with the first of `identities` (AGE-SECRET-KEY-1…) that opens one of
 * its `sops.age` data keys, and verifies `sops.mac` over the whole document. `file` only names the file in errors.
 */
export function decryptSopsYaml(text: string, identities: string[], file: string): { [key: string]: SopsValue } {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) throw new SopsError(file, 'yaml', `YAML syntax error: ${doc.errors[0].message.split('\n')[0]}`);
  if (!isMap(doc.contents)) throw new SopsError(file, 'yaml', 'the document is not a mapping');
  const sopsNode = doc.contents.get('sops', true);
  if (!isMap(sopsNode)) throw new SopsError(file, 'sops', 'no SOPS metadata (a top-level `sops` mapping); is the file encrypted?');
  const parsed = Metadata.safeParse(sopsNode.toJS(doc));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SopsError(file, ['sops', ...issue.path.map(String)].join('.'), issue.message);
  }
  const meta = parsed.data;
  const rule = encryptionRule(meta, file);
  const dataKey = unlockDataKey(meta, identities, file);

  const mac = createHash('sha512');
  if (meta.mac_only_encrypted) mac.update(MAC_ONLY_ENCRYPTED_INIT);
  const walk = (node: unknown, path: string[], where: string): SopsValue => {
    if (isAlias(node)) throw new SopsError(file, where, 'YAML aliases do not occur in files SOPS writes');
    if (isMap(node)) {
      const out: { [key: string]: SopsValue } = {};
      node.items.forEach((pair, i) => {
        const key = isScalar(pair.key) ? pair.key.value : undefined;
        if (typeof key !== 'string') throw new SopsError(file, `${where || '<root>'}[key ${i}]`, 'only string keys are supported');
        if (path.length === 0 && key === 'sops') return;
        const value = walk(pair.value, [...path, key], where ? `${where}.${key}` : key);
        // defineProperty: a key named __proto__ must stay data, not change the object's prototype.
        Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      });
      return out;
    }
    // SOPS paths name map keys only: every item of a list shares the list's path (walkSlice).
    if (isSeq(node)) return node.items.map((item, i) => walk(item, path, `${where}[${i}]`));
    const raw = isScalar(node) ? node.value : node;
    if (raw === null || raw === undefined) return null; // SOPS neither encrypts nor MACs null (walkValue)
    const encrypted = rule(path);
    const leaf = encrypted ? decryptLeaf(raw, dataKey, `${path.join(':')}:`, file, where) : plainLeaf(raw, file, where);
    if (!meta.mac_only_encrypted || encrypted) mac.update(leaf.macBytes);
    return leaf.value;
  };
  const result = walk(doc.contents, [], '') as { [key: string]: SopsValue };

  verifyMac(meta, dataKey, mac.digest('hex').toUpperCase(), file);
  return result;
}

function encryptionRule(meta: Metadata, file: string): EncryptionRule {
  if (meta.unencrypted_comment_regex || meta.encrypted_comment_regex) {
    const field = meta.unencrypted_comment_regex ? 'unencrypted_comment_regex' : 'encrypted_comment_regex';
    throw new SopsError(file, `sops.${field}`, 'comment-based encryption rules are not supported');
  }
  const rules = (['unencrypted_suffix', 'encrypted_suffix', 'unencrypted_regex', 'encrypted_regex'] as const).filter((r) => meta[r]);
  if (rules.length > 1) throw new SopsError(file, 'sops', `more than one encryption rule (${rules.join(', ')})`);
  const regex = (field: 'unencrypted_regex' | 'encrypted_regex'): RegExp => {
    try {
      return new RegExp(meta[field] ?? '');
    } catch {
      throw new SopsError(file, `sops.${field}`, 'not a valid regular expression');
    }
  };
  if (meta.encrypted_suffix) {
    const suffix = meta.encrypted_suffix;
    return (path) => path.some((k) => k.endsWith(suffix));
  }
  if (meta.unencrypted_regex) {
    const re = regex('unencrypted_regex');
    return (path) => !path.some((k) => re.test(k));
  }
  if (meta.encrypted_regex) {
    const re = regex('encrypted_regex');
    return (path) => path.some((k) => re.test(k));
  }
  const suffix = meta.unencrypted_suffix || '_unencrypted';
  return (path) => !path.some((k) => k.endsWith(suffix));
}

/** The 32-byte AES key, from the first age entry one of the identities opens. */
function unlockDataKey(meta: Metadata, identities: string[], file: string): Buffer {
  if (meta.key_groups && meta.key_groups.length > 1) {
    throw new SopsError(file, 'sops.key_groups', 'more than one key group (Shamir secret sharing) is not supported');
  }
  const [entries, field] = meta.age?.length ? [meta.age, 'sops.age'] : [meta.key_groups?.[0]?.age ?? [], 'sops.key_groups[0].age'];
  if (entries.length === 0) throw new SopsError(file, 'sops.age', 'the file has no age recipients');
  let invalid: SopsError | undefined;
  for (const [i, entry] of entries.entries()) {
    try {
      const key = decryptAge(Buffer.from(entry.enc, 'utf8'), identities);
      if (key.length !== 32) throw new AgeError('invalid', `data key is ${key.length} bytes, expected 32`);
      return key;
    } catch (err) {
      if (!(err instanceof AgeError)) throw err;
      if (err.kind === 'identity') throw new SopsError(file, 'identities', err.reason);
      if (err.kind === 'invalid') invalid ??= new SopsError(file, `${field}[${i}].enc`, err.reason);
    }
  }
  if (invalid) throw invalid;
  const ours = identities.map(ageRecipientOf).join(', ');
  const theirs = entries.map((e) => e.recipient).join(', ');
  throw new SopsError(file, field, `no identity matches an age recipient of the file (file: ${theirs}; identities: ${ours})`);
}

interface Leaf {
  value: SopsValue;
  /** What SOPS feeds the MAC for this value: ToBytes of the decrypted value. */
  macBytes: Buffer;
}

function plainLeaf(raw: unknown, file: string, where: string): Leaf {
  if (typeof raw === 'string') return { value: raw, macBytes: Buffer.from(raw, 'utf8') };
  if (typeof raw === 'number') return { value: raw, macBytes: Buffer.from(goFloatText(raw)) };
  if (typeof raw === 'boolean') return { value: raw, macBytes: Buffer.from(raw ? 'True' : 'False') };
  throw new SopsError(file, where, `unsupported unencrypted value of type ${typeof raw}`);
}

function decryptLeaf(raw: unknown, key: Buffer, aad: string, file: string, where: string): Leaf {
  if (typeof raw !== 'string') throw new SopsError(file, where, `expected an encrypted value, found a plain ${typeof raw}`);
  // SOPS writes an empty string as is rather than encrypting it (Cipher.Encrypt).
  if (raw === '') return { value: '', macBytes: Buffer.alloc(0) };
  const { type, plaintext } = openEncValue(raw, key, aad, file, where);
  const text = plaintext.toString('utf8');
  const bad = (what: string): SopsError => new SopsError(file, where, `decrypted ${type} value is not ${what}`);
  switch (type) {
    case 'str':
      return { value: text, macBytes: plaintext };
    case 'int': {
      // strconv.Atoi: optional sign, decimal digits, 64-bit range; beyond 2^53 a JS number would silently round.
      if (!/^[+-]?[0-9]+$/.test(text)) throw bad('a decimal integer');
      const n = BigInt(text);
      if (n < BigInt(Number.MIN_SAFE_INTEGER) || n > BigInt(Number.MAX_SAFE_INTEGER)) throw bad('within the safe integer range');
      return { value: Number(n), macBytes: Buffer.from(n.toString()) };
    }
    case 'float': {
      const n = parseGoFloat(text);
      if (n === undefined) throw bad('a decimal float');
      return { value: n, macBytes: Buffer.from(goFloatText(n)) };
    }
    case 'bool': {
      // strconv.ParseBool's spellings.
      if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return { value: true, macBytes: Buffer.from('True') };
      if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return { value: false, macBytes: Buffer.from('False') };
      throw bad('a boolean');
    }
    case 'time':
      // YAML timestamps; SOPS stores time.MarshalText (RFC 3339), returned as that text.
      if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text)) throw bad('an RFC 3339 time');
      return { value: text, macBytes: plaintext };
    default:
      throw new SopsError(file, where, `unsupported ENC value type '${type}'`);
  }
}

/** AES-256-GCM with the value's path as additional data, so a value moved to another key fails to open. */
function openEncValue(raw: string, key: Buffer, aad: string, file: string, where: string): { type: string; plaintext: Buffer } {
  const m = ENC_VALUE.exec(raw);
  const [data, iv, tag] = m ? [m[1], m[2], m[3]].map((b) => Buffer.from(b, 'base64')) : [];
  if (!m || !data || !iv || !tag || iv.length === 0 || tag.length !== 16) {
    throw new SopsError(file, where, 'malformed ENC value (expected ENC[AES256_GCM,data:…,iv:…,tag:…,type:…])');
  }
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(tag);
  const head = decipher.update(data);
  try {
    return { type: m[4], plaintext: Buffer.concat([head, decipher.final()]) };
  } catch {
    throw new SopsError(file, where, 'value fails authentication (corrupted, tampered with, or moved from another key)');
  }
}

/**
 * `sops.mac` is the upper-case hex SHA-512 of the values, encrypted like a value of type str with
 * `sops.lastmodified` (re-formatted as Go's time.RFC3339) as additional data.
 */
function verifyMac(meta: Metadata, key: Buffer, computed: string, file: string): void {
  if (meta.mac === '') throw new SopsError(file, 'sops.mac', 'the file has no MAC');
  const lastModified = goRfc3339(meta.lastmodified);
  if (!lastModified) throw new SopsError(file, 'sops.lastmodified', 'not an RFC 3339 time');
  const { type, plaintext } = openEncValue(meta.mac, key, lastModified, file, 'sops.mac');
  const expected = Buffer.from(computed);
  if (type !== 'str' || plaintext.length !== expected.length || !timingSafeEqual(plaintext, expected)) {
    throw new SopsError(file, 'sops.mac', 'MAC mismatch: the values do not match the MAC (a value was changed, added or removed)');
  }
}

/** time.Parse(RFC3339) then Format(RFC3339): fractional seconds dropped, a zero offset written `Z`. */
function goRfc3339(text: string): string | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (!m) return undefined;
  return `${m[1]}${m[2] === '+00:00' || m[2] === '-00:00' ? 'Z' : m[2]}`;
}

/** strconv.ParseFloat for the decimal forms SOPS writes (plus Inf/NaN); undefined for anything else. */
function parseGoFloat(text: string): number | undefined {
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(text);
  if (special) return special[2].toLowerCase() === 'nan' ? NaN : special[1] === '-' ? -Infinity : Infinity;
  if (!/^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined; // out of range is an error in Go
}

/** strconv.FormatFloat(v, 'f', -1, 64): the shortest digits that round-trip, never in exponent form. */
function goFloatText(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  if (Object.is(n, -0)) return '-0';
  const [mantissa, exponent] = n.toExponential().split('e');
  const sign = mantissa.startsWith('-') ? '-' : '';
  const digits = mantissa.replace(/^-/, '').replace('.', '');
  const point = Number(exponent) + 1;
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}
