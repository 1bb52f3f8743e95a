import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { CONFIG_PATHS, fieldPath, parseWith, parseYaml, readRepoFile } from '../../config/config-files';
import { configError, removeTrees, writeTree } from './fixture-tree';

afterEach(removeTrees);

const ANY_SIZE = { max: 1024 * 1024 };

describe('CONFIG_PATHS', () => {
  it('matches the SPEC-3/SPEC-4 repo layout', () => {
    expect(CONFIG_PATHS).toEqual({
      compose: 'compose/docker-compose.yml',
      inventory: 'clusters/clusters.yaml',
      allowlist: 'policies/allowlist.yaml',
      imagePolicy: 'policies/images.yaml',
      payoutPolicy: 'policies/payouts.yaml',
      payoutAddresses: 'clusters/payout-addresses.yaml',
      runtimePolicy: 'policies/runtime.yaml',
    });
  });
});

describe('readRepoFile', () => {
  it('returns the file text', () => {
    const dir = writeTree({ 'notes/readme.txt': 'hello\nworld\n' });
    expect(readRepoFile(dir, 'notes/readme.txt', ANY_SIZE)).toBe('hello\nworld\n');
  });

  it('rejects a missing file, naming the repo-relative path', () => {
    const dir = writeTree();
    const e = configError(() => readRepoFile(dir, 'policies/allowlist.yaml', ANY_SIZE));
    expect(e.toJSON()).toEqual({ file: 'policies/allowlist.yaml', field: '(file)', reason: 'file not found' });
  });

  it('uses the given field for a missing file', () => {
    const dir = writeTree();
    const e = configError(() => readRepoFile(dir, 'clusters/nope/.env', ANY_SIZE, 'clusters[3].env'));
    expect(e.field).toBe('clusters[3].env');
    expect(e.file).toBe('clusters/nope/.env');
  });

  it('rejects a directory', () => {
    const dir = writeTree();
    fs.mkdirSync(path.join(dir, 'policies/allowlist.yaml'), { recursive: true });
    const e = configError(() => readRepoFile(dir, 'policies/allowlist.yaml', ANY_SIZE));
    expect(e.toJSON()).toEqual({ file: 'policies/allowlist.yaml', field: '(file)', reason: 'not a regular file' });
  });
});

describe('parseYaml', () => {
  it('parses a document to plain JS', () => {
    expect(parseYaml('x.yaml', 'a: 1\nb: [x, y]\nc: {d: true}\n')).toEqual({ a: 1, b: ['x', 'y'], c: { d: true } });
  });

  it('parses an empty document to null', () => {
    expect(parseYaml('x.yaml', '')).toBeNull();
  });

  it('turns a syntax error into a ConfigError for that file with a one-line reason', () => {
    const e = configError(() => parseYaml('clusters/clusters.yaml', 'clusters:\n  - id: a\n    profiles: [node\n'));
    expect(e.file).toBe('clusters/clusters.yaml');
    expect(e.reason).toMatch(/^YAML syntax error: \S/);
    expect(e.reason).not.toContain('\n');
  });

  it('rejects duplicate mapping keys', () => {
    const e = configError(() => parseYaml('x.yaml', 'a: 1\nb: 2\na: 3\n'));
    expect(e.file).toBe('x.yaml');
    expect(e.reason).toMatch(/^YAML syntax error: .*unique/i);
  });

  // KNOWN BUG (config/config-files.ts:23): parseDocument is called with
  it('names the line and column of a syntax error in field', () => {
    const e = configError(() => parseYaml('x.yaml', 'a: 1\nb: [1, 2\nc: 3\n'));
    expect(e.field).toMatch(/^line \d+, column \d+$/);
  });

  it('names the line of a duplicate key in field', () => {
    const e = configError(() => parseYaml('x.yaml', 'a: 1\nb: 2\na: 3\n'));
    expect(e.field).toBe('line 3, column 1');
  });
});

describe('fieldPath', () => {
  it.each<[PropertyKey[], string]>([
    [[], '(root)'],
    [['clusters'], 'clusters'],
    [['clusters', 1, 'profiles', 0], 'clusters[1].profiles[0]'],
    [['services', 'node-worker', 'image'], 'services.node-worker.image'],
    [['groups', 'node', 'profiles', 2], 'groups.node.profiles[2]'],
    [[0, 'id'], '[0].id'],
    [['a', 0, 1], 'a[0][1]'],
  ])('%j -> %s', (parts, expected) => {
    expect(fieldPath(parts)).toBe(expected);
  });
});

describe('parseWith', () => {
  const schema = z.strictObject({
    name: z.string().min(1, 'is required'),
    items: z.array(z.object({ n: z.number() })).default([]),
  });

  it('returns the parsed value with defaults applied', () => {
    expect(parseWith(schema, 'x.yaml', { name: 'a' })).toEqual({ name: 'a', items: [] });
  });

  it('reports the first issue with its path and message', () => {
    const e = configError(() => parseWith(schema, 'x.yaml', { name: 'a', items: [{ n: 1 }, { n: 'two' }] }));
    expect(e.file).toBe('x.yaml');
    expect(e.field).toBe('items[1].n');
    expect(e.reason).toMatch(/expected number/);
  });

  it('uses custom messages', () => {
    const e = configError(() => parseWith(schema, 'x.yaml', { name: '' }));
    expect(e.toJSON()).toEqual({ file: 'x.yaml', field: 'name', reason: 'is required' });
  });

  it('reports a root-level failure as (root)', () => {
    const e = configError(() => parseWith(schema, 'x.yaml', null));
    expect(e.field).toBe('(root)');
    expect(e.reason).toMatch(/expected object/);
  });
});
