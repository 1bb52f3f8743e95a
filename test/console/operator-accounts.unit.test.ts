import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../../config/config-error';
import { OperatorAccounts, addOperator, hashPassword, mayAct, verifyPassword } from '../../services/console/operator-accounts';

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-operators-'));
  file = path.join(dir, 'console', 'operators.json');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('operator accounts', () => {
  it('stores a salted scrypt hash, never the password, in an owner-only file', async () => {
    await addOperator(file, { name: 'ada', role: 'operator' }, 'correct horse battery');
    const text = fs.readFileSync(file, 'utf8');
    expect(text).not.toContain('correct horse battery');
    expect(text).toMatch(/"password": "scrypt\$32768\$8\$1\$/);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const a = await hashPassword('same password!');
    const b = await hashPassword('same password!');
    expect(a).not.toBe(b);
    expect(await verifyPassword(a, 'same password!')).toBe(true);
    expect(await verifyPassword(a, 'same password?')).toBe(false);
  });

  it('signs in with the right password only, and knows the role', async () => {
    await addOperator(file, { name: 'ada', role: 'approver' }, 'correct horse battery');
    await addOperator(file, { name: 'bob', role: 'viewer' }, 'another long secret');
    const accounts = OperatorAccounts.load(file);
    expect(accounts.size).toBe(2);
    expect(await accounts.signIn('ada', 'correct horse battery')).toEqual({ name: 'ada', role: 'approver' });
    expect(await accounts.signIn('ada', 'another long secret')).toBeUndefined();
    expect(await accounts.signIn('nobody', 'correct horse battery')).toBeUndefined();
  });

  it('replaces an operator added again (a new password or role)', async () => {
    await addOperator(file, { name: 'ada', role: 'viewer' }, 'first password!!');
    await addOperator(file, { name: 'ada', role: 'operator' }, 'second password!');
    const accounts = OperatorAccounts.load(file);
    expect(accounts.size).toBe(1);
    expect(await accounts.signIn('ada', 'first password!!')).toBeUndefined();
    expect(await accounts.signIn('ada', 'second password!')).toEqual({ name: 'ada', role: 'operator' });
  });

  it('has nobody when the file is absent: no sign-in at all', async () => {
    expect(OperatorAccounts.load(file).size).toBe(0);
    expect(await OperatorAccounts.load(file).signIn('admin', 'admin')).toBeUndefined();
  });

  it('refuses a short password and a bad name, naming the field', async () => {
    await expect(addOperator(file, { name: 'ada', role: 'viewer' }, 'short')).rejects.toThrow(
      `${file}: operators.ada.password: is 5 characters, under the minimum of 12`,
    );
    await expect(addOperator(file, { name: 'Ada!', role: 'viewer' }, 'long enough password')).rejects.toThrow(/: name: 'Ada!' must be lowercase/);
  });

  it.each([
    ['not JSON', '{', '(file)', /is not JSON/],
    ['a clear-text password', JSON.stringify({ operators: [{ name: 'ada', role: 'viewer', password: 'hunter2hunter2' }] }), 'operators.0.password', /never a password/],
    ['an unknown role', JSON.stringify({ operators: [{ name: 'ada', role: 'root', password: 'x' }] }), 'operators.0.role', /unknown role 'root' \(known: viewer, operator, approver\)/],
    ['an unknown field', JSON.stringify({ operators: [], admins: [] }), '(file)', /admins/],
  ])('refuses a file with %s, naming file, field and reason', (_what, text, field, reason) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    let err: unknown;
    try {
      OperatorAccounts.load(file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).file).toBe(file);
    expect((err as ConfigError).field).toBe(field);
    expect((err as ConfigError).reason).toMatch(reason);
  });

  it('ranks roles: an approver may do what an operator may, a viewer only read', () => {
    expect(mayAct('approver', 'operator')).toBe(true);
    expect(mayAct('operator', 'operator')).toBe(true);
    expect(mayAct('viewer', 'operator')).toBe(false);
    expect(mayAct('operator', 'approver')).toBe(false);
  });
});
