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
} as const;

export function readRepoFile(treeDir: string, file: string, field = '(file)'): string {
  const full = path.join(treeDir, file);
  if (!fs.existsSync(full)) throw new ConfigError(file, field, 'file not found');
  if (!fs.statSync(full).isFile()) throw new ConfigError(file, field, 'not a regular file');
  return fs.readFileSync(full, 'utf8');
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
