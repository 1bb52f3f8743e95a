import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../../config/config-error';

/** Ranked: each role may do what the roles before it may. */
export const ROLES = ['viewer', 'operator', 'approver'] as const;
export type Role = (typeof ROLES)[number];

export function mayAct(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

export interface OperatorAccount {
  name: string;
  role: Role;
}

/** scrypt at N=2^15, r=8 (32 MiB, about 60 ms on a Pi 4 class CPU): OWASP's floor for scrypt. */
const COST = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_BYTES = 32;
export const MIN_PASSWORD_CHARS = 12;
const HASH_PATTERN = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]{22,})\$([A-Za-z0-9+/=]{43,})$/;

const operatorSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,39}$/, 'must be lowercase letters, digits, dots, dashes or underscores (max 40), starting alphanumeric'),
  role: z.enum(ROLES, { error: (i) => `unknown role '${String(i.input)}' (known: ${ROLES.join(', ')})` }),
  password: z.string().regex(HASH_PATTERN, 'must be a scrypt hash written by `lucid operator add`, never a password'),
});
const fileSchema = z.strictObject({ operators: z.array(operatorSchema) });
type OperatorEntry = z.infer<typeof operatorSchema>;

/**
 * The console's operators are settings of the stack, beside its other state in the data dir; not in the
 * config repo, where every clone would carry the hashes.
 */
export function operatorsFile(dataDir: string): string {
  return path.join(dataDir, 'console', 'operators.json');
}

function scryptAsync(password: string, salt: Buffer, cost: ScryptOptions): Promise<Buffer> {
  // maxmem above the 32 MiB default: N=2^15 with r=8 needs exactly 32 MiB plus a little.
  return new Promise((resolve, reject) =>
    scrypt(password, salt, KEY_BYTES, { ...cost, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, COST);
  return `scrypt$${COST.N}$${COST.r}$${COST.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  const m = HASH_PATTERN.exec(stored);
  if (!m) return false;
  const expected = Buffer.from(m[5]!, 'base64');
  const key = await scryptAsync(password, Buffer.from(m[4]!, 'base64'), { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

function readEntries(file: string): OperatorEntry[] {
  let raw: string;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch (err) {
    throw new ConfigError(file, '(file)', `is not JSON: ${(err as Error).message}`);
  }
  const parsed = fileSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(file, issue.path.join('.') || '(file)', issue.message);
  }
  const seen = new Set<string>();
  parsed.data.operators.forEach((o, i) => {
    if (seen.has(o.name)) throw new ConfigError(file, `operators.${i}.name`, `duplicate operator '${o.name}'`);
    seen.add(o.name);
  });
  return parsed.data.operators;
}

/**
 * Who may sign in to the console. A missing file is no operator at all: nobody signs in until
 * `lucid operator add` (or the demo) writes one.
 */
export class OperatorAccounts {
  private constructor(private readonly entries: Map<string, OperatorEntry>) {}

  static load(file: string): OperatorAccounts {
    return new OperatorAccounts(new Map(readEntries(file).map((e) => [e.name, e])));
  }

  get size(): number {
    return this.entries.size;
  }

  /** The account, or undefined for an unknown name or a wrong password; both cost one scrypt, so timing does not tell them apart. */
  async signIn(name: string, password: string): Promise<OperatorAccount | undefined> {
    const entry = this.entries.get(name);
    const ok = await verifyPassword(entry?.password ?? UNKNOWN_OPERATOR_HASH, password);
    return entry && ok ? { name: entry.name, role: entry.role } : undefined;
  }
}

/** A hash no password matches in practice, verified for unknown names so they take as long as known ones. */
const UNKNOWN_OPERATOR_HASH = `scrypt$${COST.N}$${COST.r}$${COST.p}$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(KEY_BYTES).toString('base64')}`;

/** Adds or replaces an operator; the file is written whole, owner-only, and renamed into place. */
export async function addOperator(file: string, account: OperatorAccount, password: string): Promise<void> {
  const name = operatorSchema.shape.name.safeParse(account.name);
  if (!name.success) throw new ConfigError(file, 'name', `'${account.name}' ${name.error.issues[0]!.message}`);
  if (password.length < MIN_PASSWORD_CHARS) {
    throw new ConfigError(file, `operators.${account.name}.password`, `is ${password.length} characters, under the minimum of ${MIN_PASSWORD_CHARS}`);
  }
  const entries = readEntries(file).filter((e) => e.name !== account.name);
  entries.push({ name: account.name, role: account.role, password: await hashPassword(password) });
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify({ operators: entries }, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
}
