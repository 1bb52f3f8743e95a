import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decryptAge } from '../../secrets/age-decrypt';
import { encryptAge, parseAgeRecipient } from '../../secrets/age-encrypt';
import { encodeBech32 } from '../../secrets/bech32';
import { type AgeKey, generateAgeKey, runTool, secretTools, type SecretTools } from './secret-tools';

describe('encryptAge, checked by the real age', () => {
  let tools: SecretTools;
  let dir: string;
  let a: AgeKey;
  let b: AgeKey;
  let c: AgeKey;

  /** What the real `age -d` makes of a file with one key: the plaintext, or undefined when it refuses. */
  const ageDecrypt = (file: string, key: AgeKey): Buffer | undefined => {
    try {
      return runTool(tools.age, ['-d', '-i', key.keyFile], { cwd: dir, input: file });
    } catch {
      return undefined;
    }
  };

  /** The header lines inside the armor, up to and including the `---` line. */
  const headerLines = (armored: string): string[] => {
    const body = armored.split('\n').slice(1, -2).join('');
    const text = Buffer.from(body, 'base64').toString('latin1');
    return text.slice(0, text.indexOf('\n', text.indexOf('\n---') + 1)).split('\n');
  };

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-age-enc-'));
    tools = secretTools();
    a = generateAgeKey(tools, dir, 'cluster-a');
    b = generateAgeKey(tools, dir, 'cluster-b');
    c = generateAgeKey(tools, dir, 'cluster-c');
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('seals to two recipients, each of which opens the file alone, with the real age and with decryptAge', () => {
    const plain = Buffer.from('db_password: hunter2\n');
    const file = encryptAge(plain, [a.recipient, b.recipient]);
    expect(ageDecrypt(file, a)).toEqual(plain);
    expect(ageDecrypt(file, b)).toEqual(plain);
    expect(ageDecrypt(file, c)).toBeUndefined();
    expect(decryptAge(Buffer.from(file), [a.identity])).toEqual(plain);
    expect(decryptAge(Buffer.from(file), [b.identity])).toEqual(plain);
    expect(() => decryptAge(Buffer.from(file), [c.identity])).toThrow(/no identity matches/);
  });

  it('writes the header as age does: one X25519 stanza per recipient, each with a fresh ephemeral share', () => {
    const file = encryptAge(Buffer.from('x'), [a.recipient, b.recipient, a.recipient]);
    const lines = headerLines(file);
    expect(lines[0]).toBe('age-encryption.org/v1');
    const b64 = '[A-Za-z0-9+/]{43}';
    for (const i of [1, 3, 5]) {
      expect(lines[i]).toMatch(new RegExp(`^-> X25519 ${b64}$`));
      expect(lines[i + 1]).toMatch(new RegExp(`^${b64}$`)); // 32 bytes: one short line, raw base64
    }
    expect(lines[7]).toMatch(new RegExp(`^--- ${b64}$`));
    expect(lines).toHaveLength(8);
    expect(new Set([lines[1], lines[3], lines[5]]).size).toBe(3);
    expect(headerLines(encryptAge(Buffer.from('x'), [a.recipient]))[1]).not.toBe(headerLines(encryptAge(Buffer.from('x'), [a.recipient]))[1]);
  });

  it.each([
    ['no bytes', 0],
    ['40 bytes (the armor ends on a full 64-column line)', 40],
    ['exactly one 64 KiB chunk', 64 * 1024],
    ['one byte over a chunk', 64 * 1024 + 1],
    ['exactly two chunks', 2 * 64 * 1024],
    ['200 000 bytes', 200_000],
  ])('seals %s in the exact armored layout of age -a, which the real age opens', (_name, size) => {
    const plain = randomBytes(size);
    const ours = encryptAge(plain, [a.recipient]);
    const theirs = runTool(tools.age, ['-e', '-a', '-r', a.recipient], { cwd: dir, input: plain }).toString('latin1');
    // Same line structure as the Go reference: ciphertext differs, lengths may not.
    expect(ours.split('\n').map((l) => l.length)).toEqual(theirs.split('\n').map((l) => l.length));
    expect(ours.startsWith('-----BEGIN AGE ENCRYPTED FILE-----\n')).toBe(true);
    expect(ours.endsWith('\n-----END AGE ENCRYPTED FILE-----\n')).toBe(true);
    expect(ageDecrypt(ours, a)?.equals(plain)).toBe(true);
    expect(decryptAge(Buffer.from(ours), [a.identity]).equals(plain)).toBe(true);
  });

  it('ends the armor on a full line without an empty line before END', () => {
    const lines = encryptAge(randomBytes(40), [a.recipient]).split('\n');
    expect(lines.at(-3)).toHaveLength(64);
    expect(lines.at(-2)).toBe('-----END AGE ENCRYPTED FILE-----');
    expect(lines.at(-1)).toBe('');
  });

  it('parses age1 recipients strictly', () => {
    expect(parseAgeRecipient(a.recipient)).toHaveLength(32);
    expect(encodeBech32('age', parseAgeRecipient(a.recipient))).toBe(a.recipient);
    const cases: [string, RegExp][] = [
      ['age1notarecipient', /not bech32/],
      [a.recipient.slice(0, -1) + (a.recipient.endsWith('q') ? 'p' : 'q'), /invalid checksum/],
      [encodeBech32('agf', randomBytes(32)), /not an age1/],
      [encodeBech32('age', randomBytes(31)), /31 bytes, expected a 32-byte/],
      [`${a.recipient} `, /not bech32/],
      ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk', /not bech32/],
    ];
    for (const [recipient, reason] of cases) {
      expect(() => parseAgeRecipient(recipient)).toThrow(reason);
      expect(() => encryptAge(Buffer.from('x'), [a.recipient, recipient])).toThrow(`invalid age recipient ${JSON.stringify(recipient)}`);
    }
  });

  it('refuses a secret key given as a recipient without echoing it, no recipients, and a low-order point', () => {
    expect(() => encryptAge(Buffer.from('x'), [a.identity])).toThrow(/is an AGE-SECRET-KEY-1… secret key/);
    try {
      encryptAge(Buffer.from('x'), [a.identity]);
    } catch (err) {
      expect((err as Error).message).not.toContain(a.identity.slice(15, 40));
    }
    expect(() => encryptAge(Buffer.from('x'), [])).toThrow(/no recipients/);
    const zero = encodeBech32('age', Buffer.alloc(32));
    expect(() => encryptAge(Buffer.from('x'), [zero])).toThrow(`invalid age recipient "${zero}": a low-order X25519 point`);
  });
});
