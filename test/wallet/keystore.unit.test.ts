import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createKeystore, readKeystore, rotateKeystore } from '../../wallet/keystore';

describe('the payout keystore', () => {
  let dir: string;
  let ks: string;
  let pw: string;
  const key = generatePrivateKey();
  const address = privateKeyToAccount(key).address;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-keystore-'));
    pw = path.join(dir, 'password');
    fs.writeFileSync(pw, 'correct horse battery staple\n', { mode: 0o400 });
    ks = path.join(dir, 'wallet.json');
    expect(createKeystore(ks, pw, key)).toBe(address);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const copy = (name: string, edit?: (text: string) => string, mode = 0o400) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, edit ? edit(fs.readFileSync(ks, 'utf8')) : fs.readFileSync(ks), { mode });
    return f;
  };

  it('round trips the key, in a 0400 file that holds neither the key nor the password', () => {
    expect(readKeystore(ks, pw)).toEqual({ key, address });
    expect(fs.statSync(ks).mode & 0o777).toBe(0o400);
    const text = fs.readFileSync(ks, 'utf8');
    expect(text).not.toContain(key.slice(2));
    expect(text).not.toContain('correct horse');
    expect(JSON.parse(text)).toMatchObject({ format: 'lucid-payout-keystore/v1', address, kdf: { alg: 'argon2id13' } });
  });

  it('refuses to replace an existing keystore', () => {
    expect(() => createKeystore(ks, pw)).toThrow(`payout keystore ${ks}: exists already; rotate it with rotateKeystore instead`);
    expect(readKeystore(ks, pw).address).toBe(address);
  });

  it('does not open with a wrong password, and the error names files but holds no secret', () => {
    const wrong = path.join(dir, 'wrong-password');
    fs.writeFileSync(wrong, 'not the password at all', { mode: 0o600 });
    let message = '';
    try {
      readKeystore(ks, wrong);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe(`payout keystore ${ks}: does not open with the password in ${wrong} (wrong password, or the file was changed)`);
    expect(message).not.toContain(key.slice(2));
    expect(message).not.toContain('not the password');
  });

  it('does not open once its sealed key, its address or its KDF parameters were changed', () => {
    const flipped = copy('tampered-cipher.json', (t) => t.replace(/"ciphertext": "(.)/, (_m, c: string) => `"ciphertext": "${c === '0' ? '1' : '0'}`));
    expect(() => readKeystore(flipped, pw)).toThrow('does not open with the password');
    const other = privateKeyToAccount(generatePrivateKey()).address;
    const readdressed = copy('tampered-address.json', (t) => t.replace(address, other));
    expect(() => readKeystore(readdressed, pw)).toThrow('does not open with the password');
    const salted = copy('tampered-salt.json', (t) => t.replace(/"salt": "(.)/, (_m, c: string) => `"salt": "${c === '0' ? '1' : '0'}`));
    expect(() => readKeystore(salted, pw)).toThrow('does not open with the password');
    const weakened = copy('weakened.json', (t) => t.replace(/"opslimit": \d+/, '"opslimit": 1'));
    expect(() => readKeystore(weakened, pw)).toThrow(`payout keystore ${weakened}: kdf.opslimit:`);
  });

  it('refuses a keystore or a password file that group or others can read', () => {
    const loose = copy('loose.json', undefined, 0o644);
    expect(() => readKeystore(loose, pw)).toThrow(`payout keystore ${loose}: must be a private file of this user (owner ${process.getuid!()}, mode 644; chmod 400 it)`);
    const loosePw = path.join(dir, 'loose-password');
    fs.writeFileSync(loosePw, 'correct horse battery staple\n', { mode: 0o640 });
    expect(() => readKeystore(ks, loosePw)).toThrow(`payout keystore password ${loosePw}: must be a private file of this user`);
    expect(() => createKeystore(path.join(dir, 'never.json'), loosePw)).toThrow('must be a private file of this user');
    expect(fs.existsSync(path.join(dir, 'never.json'))).toBe(false);
  });

  it('refuses a short password and a file that is not a keystore, naming the field', () => {
    const short = path.join(dir, 'short-password');
    fs.writeFileSync(short, 'hunter2\n', { mode: 0o400 });
    expect(() => createKeystore(path.join(dir, 'short.json'), short)).toThrow(`payout keystore password ${short}: shorter than 12 characters`);
    const notJson = copy('garbage.json', () => 'garbage');
    expect(() => readKeystore(notJson, pw)).toThrow(`payout keystore ${notJson}: not JSON`);
    const noFormat = copy('no-format.json', (t) => t.replace('lucid-payout-keystore/v1', 'v0'));
    expect(() => readKeystore(noFormat, pw)).toThrow(`payout keystore ${noFormat}: format:`);
  });

  it('rotates to a fresh key, keeping the old keystore as a dated 0400 backup that still opens', () => {
    const file = copy('rotating.json');
    const r = rotateKeystore(file, pw);
    expect(r.previous).toBe(address);
    expect(r.address).not.toBe(address);
    expect(readKeystore(file, pw).address).toBe(r.address);
    expect(path.basename(r.retired)).toMatch(/^rotating\.json\.retired-\d{8}T\d{9}Z$/);
    expect(fs.statSync(r.retired).mode & 0o777).toBe(0o400);
    expect(fs.statSync(file).mode & 0o777).toBe(0o400);
    expect(readKeystore(r.retired, pw)).toEqual({ key, address });
  });
});
