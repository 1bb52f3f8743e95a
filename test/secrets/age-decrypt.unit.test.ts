import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AgeError, ageRecipientOf, decryptAge } from '../../secrets/age-decrypt';
import { type AgeKey, generateAgeKey, runTool, secretTools, type SecretTools } from './secret-tools';

describe('decryptAge against files made by the real age', () => {
  let tools: SecretTools;
  let dir: string;
  let a: AgeKey;
  let b: AgeKey;

  /** Encrypts `plain` with the age binary; extra args pick recipients and armor. */
  const encrypt = (plain: Buffer, args: string[]): Buffer => runTool(tools.age, ['-e', ...args], { cwd: dir, input: plain });

  const refusal = (fn: () => unknown): AgeError => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(AgeError);
      return err as AgeError;
    }
    throw new Error('expected an AgeError, but decryption succeeded');
  };

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-age-'));
    tools = secretTools();
    a = generateAgeKey(tools, dir, 'cluster-a');
    b = generateAgeKey(tools, dir, 'cluster-b');
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('derives the same recipient as age-keygen -y', () => {
    expect(ageRecipientOf(a.identity)).toBe(a.recipient);
    expect(ageRecipientOf(b.identity)).toBe(b.recipient);
  });

  it('decrypts a binary file', () => {
    const plain = Buffer.from('db_password: hunter2\n');
    expect(decryptAge(encrypt(plain, ['-r', a.recipient]), [a.identity])).toEqual(plain);
  });

  it('decrypts an ASCII-armored file', () => {
    const plain = Buffer.from('armored secret\n');
    const armored = encrypt(plain, ['-a', '-r', a.recipient]);
    expect(armored.toString('latin1')).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n/);
    expect(decryptAge(armored, [a.identity])).toEqual(plain);
  });

  it.each([
    ['with no bytes', 0],
    ['of exactly one 64 KiB chunk', 64 * 1024],
    ['of 200 000 bytes (over 64 KiB)', 200_000],
    ['of exactly two chunks', 2 * 64 * 1024],
  ])('decrypts a payload %s, binary and armored', (_name, size) => {
    const plain = randomBytes(size);
    // Buffer.equals: jest's deep equality takes seconds on a few hundred KiB.
    expect(decryptAge(encrypt(plain, ['-r', a.recipient]), [a.identity]).equals(plain)).toBe(true);
    expect(decryptAge(encrypt(plain, ['-a', '-r', a.recipient]), [a.identity]).equals(plain)).toBe(true);
  });

  it('finds the matching identity among several, and the matching stanza among several recipients', () => {
    const plain = Buffer.from('two recipients');
    const file = encrypt(plain, ['-r', b.recipient, '-r', a.recipient]);
    expect(decryptAge(file, [a.identity])).toEqual(plain);
    expect(decryptAge(encrypt(plain, ['-r', a.recipient]), [b.identity, a.identity])).toEqual(plain);
  });

  it('refuses a wrong identity with a clear no-match error', () => {
    const err = refusal(() => decryptAge(encrypt(Buffer.from('for a only'), ['-r', a.recipient]), [b.identity]));
    expect(err.kind).toBe('no-match');
    expect(err.message).toMatch(/no identity matches/);
  });

  it('refuses a malformed identity without echoing it', () => {
    const file = encrypt(Buffer.from('x'), ['-r', a.recipient]);
    const mangled = a.identity.slice(0, -1) + (a.identity.endsWith('Q') ? 'P' : 'Q');
    const err = refusal(() => decryptAge(file, [mangled]));
    expect(err.kind).toBe('identity');
    expect(err.message).not.toContain(mangled.slice(15));
  });

  it('refuses a header whose stanza list was changed (bad header MAC)', () => {
    // Dropping b's stanza leaves a's intact, so only the header MAC can notice.
    const file = encrypt(Buffer.from('header tamper'), ['-r', b.recipient, '-r', a.recipient]);
    const lines = file.toString('latin1').split('\n');
    expect(lines[1]).toMatch(/^-> X25519 /);
    const tampered = Buffer.from([lines[0], ...lines.slice(3)].join('\n'), 'latin1');
    const err = refusal(() => decryptAge(tampered, [a.identity]));
    expect(err.kind).toBe('invalid');
    expect(err.message).toMatch(/bad header MAC/);
  });

  it('refuses a flipped byte in any payload chunk and returns nothing', () => {
    const plain = randomBytes(200_000);
    const file = encrypt(plain, ['-r', a.recipient]);
    for (const offset of [file.length - 5, file.length - 70_000, file.length - 150_000]) {
      const tampered = Buffer.from(file);
      tampered[offset] ^= 0x01;
      const err = refusal(() => decryptAge(tampered, [a.identity]));
      expect(err.message).toMatch(/failed to authenticate/);
    }
  });

  it('refuses a truncated payload, even one cut at a chunk boundary', () => {
    const file = encrypt(randomBytes(200_000), ['-r', a.recipient]);
    const sealedChunk = 64 * 1024 + 16;
    const firstChunk = file.length - (3 * sealedChunk + (200_000 - 3 * 64 * 1024) + 16);
    const atBoundary = file.subarray(0, firstChunk + 2 * sealedChunk);
    expect(refusal(() => decryptAge(atBoundary, [a.identity])).kind).toBe('invalid');
    expect(refusal(() => decryptAge(file.subarray(0, file.length - 1), [a.identity])).kind).toBe('invalid');
  });

  it('refuses trailing data after the final chunk and a damaged armor', () => {
    const file = encrypt(Buffer.from('tail'), ['-r', a.recipient]);
    expect(refusal(() => decryptAge(Buffer.concat([file, Buffer.from('x')]), [a.identity])).kind).toBe('invalid');
    const armored = encrypt(Buffer.from('tail'), ['-a', '-r', a.recipient]).toString('latin1');
    expect(refusal(() => decryptAge(Buffer.from(armored.replace('-----END AGE ENCRYPTED FILE-----', '')), [a.identity])).kind).toBe(
      'invalid',
    );
  });

  it('refuses something that is not an age file', () => {
    const err = refusal(() => decryptAge(Buffer.from('hello\n'), [a.identity]));
    expect(err.message).toMatch(/not an age v1 file/);
  });
});
