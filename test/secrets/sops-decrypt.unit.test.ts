import { createCipheriv, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { decryptSopsYaml, SopsError } from '../../secrets/sops-decrypt';
import { type AgeKey, generateAgeKey, runTool, secretTools, type SecretTools } from './secret-tools';

const FILE = 'secrets/edge-a.enc.yaml';

// Covers every type SOPS restores, nesting, list items (which share their list's path), a key SOPS leaves
// plain, empty and null values, integer-like keys (JS objects reorder them; the MAC must not) and a comment.
const PLAIN = `database:
  password: "s3cr3t: with a colon"
  port: 5432
  ratio: 0.25
  offset: -17
  tiny: 1.0e-7
  enabled: true
  legacy: false
tokens:
  - alpha
  - 42
  - name: nested
    scopes: [read, write]
api_key_unencrypted: visible-in-git
empty: ""
nothing: null
"10": numeric-looking key
"2": another
unicode: "пароль ✓"
multiline: |
  line one
  line two
when: 2024-01-01
# a comment SOPS encrypts too
trailing: last
`;

describe('decryptSopsYaml against files made by the real sops', () => {
  let tools: SecretTools;
  let dir: string;
  let a: AgeKey;
  let b: AgeKey;
  let encrypted: string;

  /** `global` goes before the subcommand, where sops takes `--config`. */
  const sopsEncrypt = (plain: string, args: string[], global: string[] = []): string => {
    fs.writeFileSync(path.join(dir, 'plain.yaml'), plain);
    const cmd = [...global, 'encrypt', ...args, '--input-type', 'yaml', '--output-type', 'yaml', 'plain.yaml'];
    return runTool(tools.sops, cmd, { cwd: dir }).toString();
  };

  /** What the real sops makes of a file: its JSON output, or undefined when it refuses. */
  const sopsDecrypt = (text: string, key: AgeKey): unknown => {
    fs.writeFileSync(path.join(dir, 'check.enc.yaml'), text);
    try {
      const out = runTool(tools.sops, ['decrypt', '--input-type', 'yaml', '--output-type', 'json', 'check.enc.yaml'], {
        cwd: dir,
        env: { SOPS_AGE_KEY_FILE: key.keyFile },
      });
      return JSON.parse(out.toString());
    } catch {
      return undefined;
    }
  };

  const refusal = (text: string, identities = [a.identity]): SopsError => {
    try {
      decryptSopsYaml(text, identities, FILE);
    } catch (err) {
      expect(err).toBeInstanceOf(SopsError);
      const e = err as SopsError;
      expect(e.file).toBe(FILE);
      expect(e.message).not.toMatch(/s3cr3t|hunter|alpha|nested|пароль/);
      return e;
    }
    throw new Error('expected a SopsError, but the file decrypted');
  };

  /** Replaces the ENC value of the (unique) key `key`. */
  const withValue = (text: string, key: string, value: string): string => {
    const re = new RegExp(`^(\\s*${key}: )ENC\\[[^\\]]*\\]`, 'm');
    expect(text).toMatch(re);
    return text.replace(re, `$1${value}`);
  };

  const encValue = (text: string, key: string): string => {
    const m = new RegExp(`^\\s*${key}: (ENC\\[[^\\]]*\\])`, 'm').exec(text);
    if (!m) throw new Error(`no ENC value for ${key}`);
    return m[1];
  };

  /** The file's data key, unwrapped by the real age from `sops.age[0].enc`. */
  const dataKey = (text: string, key: AgeKey): Buffer => {
    const meta = (parse(text) as { sops: { age: { enc: string }[] } }).sops;
    return runTool(tools.age, ['-d', '-i', key.keyFile], { cwd: dir, input: meta.age[0].enc });
  };

  /** An ENC value exactly as SOPS's aes.Cipher writes it. */
  const sealValue = (key: Buffer, plaintext: string, aad: string, type: string): string => {
    const iv = randomBytes(32);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(aad));
    const data = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const tag = cipher.getAuthTag();
    return `ENC[AES256_GCM,data:${data.toString('base64')},iv:${iv.toString('base64')},tag:${tag.toString('base64')},type:${type}]`;
  };

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-sops-'));
    tools = secretTools();
    a = generateAgeKey(tools, dir, 'edge-a');
    b = generateAgeKey(tools, dir, 'edge-b');
    encrypted = sopsEncrypt(PLAIN, ['--age', a.recipient]);
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('decrypts every value with its type, exactly as sops decrypt does', () => {
    expect(encrypted).not.toContain('s3cr3t');
    expect(encrypted).toContain('api_key_unencrypted: visible-in-git');
    const out = decryptSopsYaml(encrypted, [a.identity], FILE);
    // SOPS stores YAML timestamps as time values and gives them back in RFC 3339.
    expect(out).toEqual({ ...(parse(PLAIN) as object), when: '2024-01-01T00:00:00Z' });
    expect(out).toEqual(sopsDecrypt(encrypted, a));
    const db = out.database as Record<string, unknown>;
    expect([typeof db.port, typeof db.ratio, typeof db.enabled, typeof db.password]).toEqual(['number', 'number', 'boolean', 'string']);
    expect(db.tiny).toBe(1e-7);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });

  it('decrypts with any one of several identities, and for any one of several recipients', () => {
    expect(decryptSopsYaml(encrypted, [b.identity, a.identity], FILE)).toEqual(sopsDecrypt(encrypted, a));
    const both = sopsEncrypt(PLAIN, ['--age', `${a.recipient},${b.recipient}`]);
    expect(decryptSopsYaml(both, [b.identity], FILE)).toEqual(decryptSopsYaml(both, [a.identity], FILE));
  });

  it("refuses another cluster's key, naming the recipients", () => {
    const err = refusal(encrypted, [b.identity]);
    expect(err.field).toBe('sops.age');
    expect(err.reason).toMatch(/no identity matches/);
    expect(err.reason).toContain(a.recipient);
    expect(err.reason).toContain(b.recipient);
  });

  it('refuses a flipped byte in a value', () => {
    const value = encValue(encrypted, 'password');
    const data = /data:([^,]+)/.exec(value)![1];
    const bytes = Buffer.from(data, 'base64');
    bytes[0] ^= 0x01;
    const tampered = withValue(encrypted, 'password', value.replace(data, bytes.toString('base64')));
    expect(sopsDecrypt(tampered, a)).toBeUndefined();
    const err = refusal(tampered);
    expect(err.field).toBe('database.password');
    expect(err.reason).toMatch(/fails authentication/);
  });

  it('refuses a value moved to another key (the path is authenticated)', () => {
    const err = refusal(withValue(encrypted, 'ratio', encValue(encrypted, 'port')));
    expect(err.field).toBe('database.ratio');
    expect(err.reason).toMatch(/fails authentication/);
  });

  it('refuses a value changed and validly re-encrypted without updating the MAC', () => {
    const changed = withValue(encrypted, 'port', sealValue(dataKey(encrypted, a), '5433', 'database:port:', 'int'));
    expect(sopsDecrypt(changed, a)).toBeUndefined();
    const err = refusal(changed);
    expect(err.field).toBe('sops.mac');
    expect(err.reason).toMatch(/MAC mismatch/);
  });

  it('refuses reordered list items, which share one path and so only the MAC can catch', () => {
    const lines = encrypted.split('\n');
    const items = lines.flatMap((l, i) => (/^\s*- ENC\[/.test(l) ? [i] : []));
    [lines[items[0]], lines[items[1]]] = [lines[items[1]], lines[items[0]]];
    const swapped = lines.join('\n');
    expect(sopsDecrypt(swapped, a)).toBeUndefined();
    expect(refusal(swapped).field).toBe('sops.mac');
  });

  it('refuses a removed value', () => {
    const removed = encrypted.replace(/^trailing: .*\n/m, '');
    expect(removed).not.toBe(encrypted);
    expect(refusal(removed).reason).toMatch(/MAC mismatch/);
  });

  it('refuses a changed unencrypted value, which the MAC covers too', () => {
    const changed = encrypted.replace('api_key_unencrypted: visible-in-git', 'api_key_unencrypted: changed');
    expect(sopsDecrypt(changed, a)).toBeUndefined();
    expect(refusal(changed).field).toBe('sops.mac');
  });

  it('refuses a tampered sops.mac and a changed sops.lastmodified', () => {
    const mac = /^\s*mac: (ENC\[[^\]]*\])/m.exec(encrypted)![1];
    const data = /data:([^,]+)/.exec(mac)![1];
    const bytes = Buffer.from(data, 'base64');
    bytes[5] ^= 0x80;
    const badMac = encrypted.replace(mac, mac.replace(data, bytes.toString('base64')));
    expect(refusal(badMac).field).toBe('sops.mac');

    const badTime = encrypted.replace(/lastmodified: "[^"]+"/, 'lastmodified: "2020-01-01T00:00:00Z"');
    expect(badTime).not.toBe(encrypted);
    expect(sopsDecrypt(badTime, a)).toBeUndefined();
    expect(refusal(badTime).field).toBe('sops.mac');

    expect(refusal(encrypted.replace(mac, '""')).reason).toMatch(/no MAC/);
  });

  it('refuses malformed ENC values and plain values where SOPS encrypts', () => {
    const truncated = refusal(withValue(encrypted, 'port', 'ENC[AES256_GCM,data:abc]'));
    expect(truncated.field).toBe('database.port');
    expect(truncated.reason).toMatch(/malformed ENC value/);
    const shortTag = encValue(encrypted, 'port').replace(/tag:[^,]+/, 'tag:AAAA');
    expect(refusal(withValue(encrypted, 'port', shortTag)).reason).toMatch(/malformed ENC value/);
    expect(refusal(withValue(encrypted, 'password', 'hunter2')).reason).toMatch(/malformed ENC value/);
    expect(refusal(withValue(encrypted, 'port', '5432')).reason).toMatch(/expected an encrypted value/);
  });

  it('refuses a file SOPS never encrypted', () => {
    expect(refusal(PLAIN).field).toBe('sops');
  });

  it('follows the encrypted_regex and mac_only_encrypted rules', () => {
    // mac_only_encrypted exists only as a creation rule, not as a flag.
    const config = path.join(dir, 'partial.sops.yaml');
    const rule = { age: a.recipient, encrypted_regex: '^(password|port|tokens)$', mac_only_encrypted: true };
    fs.writeFileSync(config, JSON.stringify({ creation_rules: [rule] }));
    const partial = sopsEncrypt(PLAIN, [], ['--config', config]);
    expect(partial).toMatch(/mac_only_encrypted: true/);
    expect(partial).toContain('ratio: 0.25');
    const out = decryptSopsYaml(partial, [a.identity], FILE);
    expect(out).toEqual(sopsDecrypt(partial, a));
    expect((out.database as Record<string, unknown>).password).toBe('s3cr3t: with a colon');
    // With mac_only_encrypted, plain values are outside the MAC: SOPS accepts a change to them, and so do we.
    const plainChanged = partial.replace('ratio: 0.25', 'ratio: 0.5');
    expect(sopsDecrypt(plainChanged, a)).toBeDefined();
    expect((decryptSopsYaml(plainChanged, [a.identity], FILE).database as Record<string, unknown>).ratio).toBe(0.5);
    const err = refusal(withValue(partial, 'port', sealValue(dataKey(partial, a), '1', 'database:port:', 'int')));
    expect(err.field).toBe('sops.mac');
  });
});
