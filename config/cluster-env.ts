import { z } from 'zod';
import { ConfigError } from './config-error';
import { checkCount, parseWith, readRepoFile, type Limit } from './config-files';
import type { ClusterSpec } from './inventory';
import { DEFAULT_LIMITS, limitOf, type Limits } from './limits';

const PLANES = ['ops', 'chain', 'wallet'] as const;
/** Secrets are never in .env: they are SOPS references resolved on the cluster. */
const sopsRef = z.literal('enc:sops', { error: "must be 'enc:sops' (secrets live in secrets/<id>.enc.yaml)" });
/** The variables that hold secrets: in .env only as the reference `enc:sops`, never a value. */
export const SECRET_ENV_KEYS = ['S3_ACCESS_KEY', 'S3_SECRET_KEY', 'LEDGER_PUBKEYS'] as const;
const secretRefs = Object.fromEntries(SECRET_ENV_KEYS.map((k) => [k, sopsRef.optional()]));

/** The SPEC-4 env template (clusters/<id>/.env). Unknown keys pass: services may read their own. */
const clusterEnvSchema = z.looseObject({
  CLUSTER_ID: z.string({ error: 'is required' }).min(1, 'is required'),
  PROFILES: z.string({ error: 'is required' }).min(1, 'is required'),
  BETA_PLANES: z
    .string({ error: 'is required' })
    .refine((v) => v.split(',').every((p) => (PLANES as readonly string[]).includes(p.trim())), {
      message: `must be a comma-separated subset of ${PLANES.join(',')}`,
    }),
  TOR_SOCKS: z
    .string()
    .regex(/^[^:\s]+:\d{1,5}$/, 'must be host:port')
    .refine((v) => Number(v.split(':')[1]) >= 1 && Number(v.split(':')[1]) <= 65535, 'port must be 1-65535')
    .optional(),
  MONGO_RS: z.string().min(1).optional(),
  MONGO_SHARD_RANGE: z
    .string()
    .regex(/^\d+-\d+$/, 'must be <low>-<high>')
    .refine((v) => Number(v.split('-')[0]) <= Number(v.split('-')[1]), 'low must not exceed high')
    .optional(),
  TRON_MODE: z.enum(['shasta', 'mainnet'], { error: "must be 'shasta' or 'mainnet'" }).optional(),
  S3_ENDPOINT: z.string().min(1).optional(),
  ...secretRefs,
});

export type ClusterEnv = Record<string, string>;

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** What Compose would unescape or interpolate in a value; values are literal, so these are refused. */
const NOT_LITERAL = /["\\$\x00-\x1f\x7f]/;

/**
 * The one reader of clusters/<id>/.env. The gates validate what it returns and
 * the renderer hands Compose exactly these values (formatClusterEnv), so the
 * console's check and a cluster's render never read the file two ways.
 *
 * A line is blank, a `#` comment, or KEY=VALUE: KEY is letters, digits and `_`,
 * not starting with a digit, with no space before `=`. VALUE is unquoted (a `#`
 * after whitespace starts a comment; surrounding whitespace is dropped) or
 * wrapped in "…" or '…' (then only a comment may follow). Values are literal:
 * no escapes, no interpolation, so `"`, `\`, `$` and control characters in a
 * value are refused rather than read one way here and another by Compose.
 */
export function parseClusterEnv(file: string, text: string, maxKeys: Limit): ClusterEnv {
  const seen = new Map<string, { value: string; line: number }>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const where = `line ${i + 1}`;
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    const eq = line.indexOf('=');
    if (eq < 0) throw new ConfigError(file, where, "is not KEY=VALUE (no '='); every line is KEY=VALUE, a # comment or blank");
    const key = line.slice(0, eq);
    if (!VARIABLE_NAME.test(key)) {
      const shown = key.length > 40 ? `${key.slice(0, 40)}…` : key;
      throw new ConfigError(
        file,
        where,
        `'${shown}' before '=' is not a variable name (letters, digits and _, not starting with a digit, no spaces)`,
      );
    }
    const value = valueOf(line.slice(eq + 1), file, where, key);
    const earlier = seen.get(key);
    if (earlier) throw new ConfigError(file, where, `${key} is already set on line ${earlier.line}`);
    seen.set(key, { value, line: i + 1 });
  });
  checkCount(file, '(file)', seen.size, maxKeys, 'keys');
  return Object.fromEntries([...seen].map(([key, { value }]) => [key, value]));
}

function valueOf(rest: string, file: string, where: string, key: string): string {
  let value: string;
  const quote = rest[0];
  if (quote === '"' || quote === "'") {
    const end = rest.indexOf(quote, 1);
    if (end < 0) throw new ConfigError(file, where, `the value of ${key} opens a ${quote} it never closes`);
    const after = rest.slice(end + 1).trim();
    if (after !== '' && !after.startsWith('#')) {
      throw new ConfigError(file, where, `the value of ${key} has text after its closing ${quote} (only a # comment may follow)`);
    }
    value = rest.slice(1, end);
  } else {
    const comment = /\s#/.exec(rest);
    value = (comment ? rest.slice(0, comment.index) : rest).trim();
  }
  const bad = NOT_LITERAL.exec(value);
  if (bad) {
    const what = bad[0] < ' ' || bad[0] === '\x7f' ? 'a control character' : `'${bad[0]}'`;
    throw new ConfigError(file, where, `the value of ${key} contains ${what}: values are literal (no escapes or interpolation), so ", \\, $ and control characters are not allowed`);
  }
  return value;
}

/**
 * The env as an --env-file that Compose reads back value for value: each value
 * double-quoted, which the characters parseClusterEnv refuses keep literal.
 */
export function formatClusterEnv(env: ClusterEnv): string {
  return Object.entries(env)
    .map(([key, value]) => `${key}="${value}"\n`)
    .join('');
}

export function loadClusterEnv(treeDir: string, cluster: ClusterSpec, limits: Limits = DEFAULT_LIMITS): ClusterEnv {
  const file = cluster.env;
  const text = readRepoFile(treeDir, file, limitOf(limits, 'clusterEnv', 'maxBytes'));
  const env = parseClusterEnv(file, text, limitOf(limits, 'clusterEnv', 'maxKeys'));
  parseWith(clusterEnvSchema, file, env);
  if (env.CLUSTER_ID !== cluster.id) {
    throw new ConfigError(file, 'CLUSTER_ID', `is '${env.CLUSTER_ID}' but the file belongs to cluster '${cluster.id}'`);
  }
  const listed = env.PROFILES!.split(',').map((p) => p.trim()).sort();
  const wanted = [...cluster.profiles].sort();
  if (listed.join(',') !== wanted.join(',')) {
    throw new ConfigError(
      file,
      'PROFILES',
      `is '${env.PROFILES}' but clusters/clusters.yaml gives cluster '${cluster.id}' profiles '${cluster.profiles.join(',')}'`,
    );
  }
  return env;
}
