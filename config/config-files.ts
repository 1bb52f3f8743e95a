import * as fs from 'node:fs';
import * as path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from './config-error';

/** Paths inside the config repo (SPEC-3/SPEC-4 layout). */
export const CONFIG_PATHS = {
  compose: 'compose/docker-compose.yml',
  inventory: 'clusters/clusters.yaml',
  allowlist: 'policies/allowlist.yaml',
  imagePolicy: 'policies/images.yaml',
  payoutPolicy: 'policies/payouts.yaml',
  payoutAddresses: 'clusters/payout-addresses.yaml',
  runtimePolicy: 'policies/runtime.yaml',
} as const;

/** Where an operator raises the limits of the files Lucid reads from a commit (config/limits.ts). */
export const LIMITS_FILE = 'policies/limits.yaml';

/** One limit and the setting of policies/limits.yaml that raises it (none: a fixed limit). */
export interface Limit {
  max: number;
  setting?: string;
}

/**
 * A file of the commit's work tree, refused before it is read when it is over
 * `maxBytes`, and refused when it is not a regular file inside the tree: a
 * symlink would let a commit make the worker read its host's files.
 */
export function readRepoFile(treeDir: string, file: string, maxBytes: Limit, field = '(file)'): string {
  const full = path.join(treeDir, file);
  if (!fs.existsSync(full)) throw new ConfigError(file, field, 'file not found');
  if (fs.realpathSync(full) !== path.join(fs.realpathSync(treeDir), file)) {
    throw new ConfigError(file, field, 'is or goes through a symbolic link; config files are regular files of the commit');
  }
  const stat = fs.statSync(full);
  if (!stat.isFile()) throw new ConfigError(file, field, 'not a regular file');
  checkSize(file, field, stat.size, maxBytes);
  return fs.readFileSync(full, 'utf8');
}

/** Refuses a file over its size limit; callers know the size before they read anything. */
export function checkSize(file: string, field: string, size: number, limit: Limit): void {
  if (size > limit.max) {
    throw new ConfigError(file, field, `is ${size} bytes, over the limit of ${limit.max} bytes (${formatBytes(limit.max)}; ${howToRaise(limit)})`);
  }
}

/** Refuses a file that lists more items than its limit allows, before they are validated one by one. */
export function checkCount(file: string, field: string, count: number, limit: Limit, noun: string): void {
  if (count > limit.max) throw new ConfigError(file, field, `lists ${count} ${noun}, over the limit of ${limit.max} (${howToRaise(limit)})`);
}

function howToRaise(limit: Limit): string {
  return limit.setting ? `raise ${limit.setting} in ${LIMITS_FILE}` : 'a fixed limit';
}

/** How many items `doc[key]` holds (list elements or mapping keys), for a count limit checked before the schema. */
export function itemsUnder(doc: unknown, key: string): number {
  const value = doc && typeof doc === 'object' ? (doc as Record<string, unknown>)[key] : undefined;
  if (Array.isArray(value)) return value.length;
  return value && typeof value === 'object' ? Object.keys(value).length : 0;
}

const KIB = 1024;
const MIB = 1024 * KIB;

export function formatBytes(n: number): string {
  if (n >= MIB && n % MIB === 0) return `${n / MIB} MiB`;
  if (n >= KIB && n % KIB === 0) return `${n / KIB} KiB`;
  return `${n} B`;
}

/** Parses YAML, turning a syntax error into a ConfigError with the line and column. */
export function parseYaml(file: string, text: string): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter });
  const err = doc.errors[0];
  if (err) {
    const pos = lineCounter.linePos(err.pos[0]);
    const where = `line ${pos.line}, column ${pos.col}`;
    throw new ConfigError(file, where, `YAML syntax error: ${err.message.split('\n')[0]}`);
  }
  return doc.toJS();
}

/** `clusters[1].profiles[0]` style, the way an operator reads a YAML path. */
export function fieldPath(parts: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of parts) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || '(root)';
}

export function parseWith<T extends z.ZodType>(schema: T, file: string, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  let issue = result.error.issues[0]!;
  const path = [...issue.path];
  // A bad record key or element wraps the rule that failed; that rule's message is the useful one.
  while ((issue.code === 'invalid_key' || issue.code === 'invalid_element') && issue.issues[0]) {
    if (issue.code === 'invalid_element') path.push(issue.key as PropertyKey);
    issue = issue.issues[0] as typeof issue;
    path.push(...issue.path);
  }
  throw new ConfigError(file, fieldPath(path), issue.message);
}
