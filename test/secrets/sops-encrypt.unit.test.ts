import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { decryptSopsYaml, SopsError } from '../../secrets/sops-decrypt';
import { encryptSopsYaml } from '../../secrets/sops-encrypt';
import { type AgeKey, generateAgeKey, runTool, secretTools, type SecretTools } from './secret-tools';

const FILE = 'secrets/edge-a.enc.yaml';
const NOW = new Date('2026-12-07T12:00:00.789Z');
const VALUES = { db_password: 'hunter2', empty: '', 'api.token-2': 's3cr3t value' };

describe('encryptSopsYaml, checked by the real sops', () => {
  let tools: SecretTools;
  let dir: string;
  let a: AgeKey;
  let b: AgeKey;
  let c: AgeKey;
  let encrypted: string;

  /** The real sops, reading the file on stdin: its JSON output, or undefined when it refuses the file. */
  const sopsDecrypt = (text: string, key: AgeKey): unknown => {
    const env = { SOPS_AGE_KEY_FILE: key.keyFile };
    let out: Buffer;
    try {
      out = runTool(tools.sops, ['decrypt', '--input-type', 'yaml', '--output-type', 'json'], { cwd: dir, env, input: text });
    } catch {
      return undefined;
    }
    return JSON.parse(out.toString());
  };

  const refusal = (text: string, identities: string[]): SopsError => {
    try {
      decryptSopsYaml(text, identities, FILE);
    } catch (err) {
      expect(err).toBeInstanceOf(SopsError);
      return err as SopsError;
    }
    throw new Error('expected a SopsError, but the file decrypted');
  };

  /** The message of what `fn` throws. */
  const thrown = (fn: () => unknown): string => {
    try {
      fn();
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error('expected an error');
  };

  /** The text with every ciphertext, armor line and time replaced, leaving the layout. */
  const shape = (text: string): string =>
    text
      .replace(/ENC\[AES256_GCM,data:[A-Za-z0-9+/=]+,iv:[A-Za-z0-9+/=]+,tag:[A-Za-z0-9+/=]+,type:str\]/g, 'ENC[…]')
      .replace(/^( +)[A-Za-z0-9+/=]{1,64}$/gm, '$1<base64>')
      .replace(/(lastmodified: )"[^"]+"/, '$1<time>')
      .replace(/age1[a-z0-9]+/g, '<recipient>');

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-sops-enc-'));
    tools = secretTools();
    a = generateAgeKey(tools, dir, 'edge-a');
    b = generateAgeKey(tools, dir, 'edge-b');
    c = generateAgeKey(tools, dir, 'edge-c');
    encrypted = encryptSopsYaml(VALUES, [a.recipient, b.recipient], NOW);
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes a file the real sops decrypts for each of two recipients, and so does decryptSopsYaml', () => {
    expect(encrypted).not.toMatch(/hunter2|s3cr3t/);
    expect(sopsDecrypt(encrypted, a)).toEqual(VALUES);
    expect(sopsDecrypt(encrypted, b)).toEqual(VALUES);
    expect(decryptSopsYaml(encrypted, [a.identity], FILE)).toEqual(VALUES);
    expect(decryptSopsYaml(encrypted, [b.identity], FILE)).toEqual(VALUES);
  });

  it('lays the file out exactly as sops encrypt does', () => {
    const plain = Object.entries(VALUES).map(([k, v]) => `${k}: ${JSON.stringify(v)}\n`).join('');
    fs.writeFileSync(path.join(dir, 'plain.yaml'), plain);
    const args = ['encrypt', '--age', `${a.recipient},${b.recipient}`, '--input-type', 'yaml', '--output-type', 'yaml', 'plain.yaml'];
    const real = runTool(tools.sops, args, { cwd: dir }).toString();
    expect(shape(encrypted)).toBe(shape(real));
    expect(encrypted).toContain('\n    lastmodified: "2026-12-07T12:00:00Z"\n');
    expect(encrypted).toMatch(/^empty: ""$/m);
    expect(encrypted.endsWith('    version: 3.13.3\n')).toBe(true);
    // Recipients in the order given, each with its own age file of the one data key.
    const meta = (parse(encrypted) as { sops: { age: { recipient: string; enc: string }[] } }).sops;
    expect(meta.age.map((e) => e.recipient)).toEqual([a.recipient, b.recipient]);
    const keyA = runTool(tools.age, ['-d', '-i', a.keyFile], { cwd: dir, input: meta.age[0].enc });
    expect(keyA).toHaveLength(32);
    expect(runTool(tools.age, ['-d', '-i', b.keyFile], { cwd: dir, input: meta.age[1].enc })).toEqual(keyA);
  });

  it('is refused with a key that is not a recipient, by both', () => {
    expect(sopsDecrypt(encrypted, c)).toBeUndefined();
    const err = refusal(encrypted, [c.identity]);
    expect(err.field).toBe('sops.age');
    expect(err.reason).toMatch(/no identity matches/);
  });

  it('is refused by both after a flipped byte in a value', () => {
    const m = /^db_password: ENC\[AES256_GCM,data:([^,]+),/m.exec(encrypted)!;
    const bytes = Buffer.from(m[1], 'base64');
    bytes[0] ^= 0x01;
    const tampered = encrypted.replace(m[1], bytes.toString('base64'));
    expect(tampered).not.toBe(encrypted);
    expect(sopsDecrypt(tampered, a)).toBeUndefined();
    const err = refusal(tampered, [a.identity]);
    expect(err.field).toBe('db_password');
    expect(err.reason).toMatch(/fails authentication/);
  });

  it('is refused by both after lastmodified changed (the MAC is bound to it)', () => {
    const changed = encrypted.replace('lastmodified: "2026-12-07T12:00:00Z"', 'lastmodified: "2026-12-07T12:00:01Z"');
    expect(changed).not.toBe(encrypted);
    expect(sopsDecrypt(changed, a)).toBeUndefined();
    expect(refusal(changed, [a.identity]).field).toBe('sops.mac');
  });

  it('is refused by both after a value was dropped (the MAC covers them all)', () => {
    const dropped = encrypted.replace(/^db_password: .*\n/m, '');
    expect(dropped).not.toBe(encrypted);
    expect(sopsDecrypt(dropped, a)).toBeUndefined();
    expect(refusal(dropped, [a.identity]).reason).toMatch(/MAC mismatch/);
  });

  it('round-trips a long value with newlines, quotes, backslashes and unicode', () => {
    const line = 'line "one" \'two\' \\ back: #hash ✓ пароль 🔑\n\ttabbed\r\n';
    const long = (line.repeat(Math.ceil(5000 / line.length)) + 'x'.repeat(5000)).slice(0, 5000);
    expect(long).toHaveLength(5000);
    const values = { certificate: long, short: 'ok' };
    const text = encryptSopsYaml(values, [a.recipient], NOW);
    expect(sopsDecrypt(text, a)).toEqual(values);
    expect(decryptSopsYaml(text, [a.identity], FILE)).toEqual(values);
  });

  it('keeps keys YAML would read as numbers, booleans or null as strings, for sops and for us', () => {
    const values = { '10': 'a', 'true': 'b', 'null': 'c', 'Yes': 'd', '1.5': 'e', '-': 'f', '.': 'g', '0x1F': 'h', '-x': 'i', '1e3': 'j', '...': 'k' };
    const text = encryptSopsYaml(values, [a.recipient], NOW);
    expect(sopsDecrypt(text, a)).toEqual(values);
    expect(decryptSopsYaml(text, [a.identity], FILE)).toEqual(values);
  });

  it('writes a file with no values that both open', () => {
    const text = encryptSopsYaml({}, [a.recipient], NOW);
    expect(text.startsWith('sops:\n')).toBe(true);
    expect(sopsDecrypt(text, a)).toEqual({});
    expect(decryptSopsYaml(text, [a.identity], FILE)).toEqual({});
  });

  it('refuses a bad recipient, naming it', () => {
    const bad = 'age1notarecipient';
    expect(thrown(() => encryptSopsYaml({ k: 'hunter2' }, [a.recipient, bad], NOW))).toMatch(`invalid age recipient "${bad}"`);
    expect(thrown(() => encryptSopsYaml({ k: 'hunter2' }, [], NOW))).toMatch(/no age recipients/);
    const secret = thrown(() => encryptSopsYaml({ k: 'hunter2' }, [a.identity], NOW));
    expect(secret).toMatch(/secret key/);
    expect(secret).not.toContain(a.identity.slice(15, 40));
  });

  it('refuses key names SOPS would not round-trip, naming the key and never the value', () => {
    const cases: [string, RegExp][] = [
      ['sops', /'sops' is where SOPS keeps its metadata/],
      ['api_key_unencrypted', /ending in '_unencrypted'/],
      ['has space', /only letters, digits/],
      ['', /only letters, digits/],
      ['pässword', /only letters, digits/],
      ['a:b', /only letters, digits/],
      ['line\nbreak', /only letters, digits/],
    ];
    for (const [key, reason] of cases) {
      const message = thrown(() => encryptSopsYaml({ ok: 'fine', [key]: 'hunter2' }, [a.recipient], NOW));
      expect(message).toMatch(reason);
      expect(message).toContain(`invalid secret key ${JSON.stringify(key)}`);
      expect(message).not.toContain('hunter2');
    }
  });

  it('refuses a value that is not a string or not well-formed unicode, without showing it', () => {
    const notString = thrown(() => encryptSopsYaml({ port: 5432 } as unknown as Record<string, string>, [a.recipient], NOW));
    expect(notString).toBe('the value of secret key "port" is not a string');
    const lone = thrown(() => encryptSopsYaml({ k: 'hunter2\ud800' }, [a.recipient], NOW));
    expect(lone).toMatch(/secret key "k" is not well-formed Unicode/);
    expect(lone).not.toContain('hunter2');
  });

  it('writes lastmodified in whole UTC seconds and refuses an invalid date', () => {
    const text = encryptSopsYaml({ k: 'v' }, [a.recipient], new Date('2027-03-04T05:06:07.999+02:00'));
    expect(text).toContain('lastmodified: "2027-03-04T03:06:07Z"');
    expect(sopsDecrypt(text, a)).toEqual({ k: 'v' });
    expect(thrown(() => encryptSopsYaml({ k: 'v' }, [a.recipient], new Date('nope')))).toMatch(/invalid date/);
  });
});
