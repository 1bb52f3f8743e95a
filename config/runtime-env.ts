import * as path from 'node:path';
import { z } from 'zod';

/** The project root, whether running from sources or from dist/. */
export const PROJECT_ROOT = path.resolve(__dirname, __dirname.includes(`${path.sep}dist${path.sep}`) ? '../..' : '..');

const runtimeEnvSchema = z.object({
  TEMPORAL_ADDRESS: z.string().regex(/^[^\s:]+:\d+$/, 'must be host:port').default('127.0.0.1:7233'),
  LUCID_NAMESPACE: z.string().min(1).default('lucid'),
  MONGO_URL: z.string().regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// URL').default('mongodb://127.0.0.1:27017/'),
  LUCID_DB: z.string().min(1).default('lucid'),
  LUCID_DATA_DIR: z.string().min(1).default(path.join(PROJECT_ROOT, '.lucid')),
  LUCID_CONFIG_REPO: z.string().min(1).optional(),
});

export type RuntimeEnv = z.infer<typeof runtimeEnvSchema>;

export class EnvError extends Error {
  constructor(readonly variable: string, readonly reason: string) {
    super(`environment: ${variable}: ${reason}`);
    this.name = 'EnvError';
  }
}

export function runtimeEnv(env: NodeJS.ProcessEnv = process.env): RuntimeEnv {
  const picked = Object.fromEntries(
    Object.keys(runtimeEnvSchema.shape).flatMap((k) => (env[k] ? [[k, env[k]]] : [])),
  );
  const parsed = runtimeEnvSchema.safeParse(picked);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new EnvError(String(issue.path[0]), issue.message);
  }
  return parsed.data;
}

export function requireConfigRepo(env: RuntimeEnv): string {
  if (!env.LUCID_CONFIG_REPO) throw new EnvError('LUCID_CONFIG_REPO', 'is not set (the config repo path or git URL)');
  return env.LUCID_CONFIG_REPO;
}
