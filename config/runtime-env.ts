import * as path from 'node:path';
import { z } from 'zod';
import { EnvError, parseEnv } from './parse-env';

/** The project root, whether running from sources or from dist/. */
export const PROJECT_ROOT = path.resolve(__dirname, __dirname.includes(`${path.sep}dist${path.sep}`) ? '../..' : '..');

const runtimeEnvSchema = z.object({
  TEMPORAL_ADDRESS: z.string().regex(/^[^\s:]+:\d+$/, 'must be host:port').default('127.0.0.1:7233'),
  LUCID_NAMESPACE: z.string().min(1).default('lucid'),
  MONGO_URL: z.string().regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// URL').default('mongodb://127.0.0.1:27017/'),
  LUCID_DB: z.string().min(1).default('lucid'),
  LUCID_DATA_DIR: z.string().min(1).default(path.join(PROJECT_ROOT, '.lucid')),
  /** The embedded stack's engine (`lucid dev up --engine`). */
  LUCID_ENGINE: z.enum(['dev', 'postgres']).optional(),
  // git clone/fetch would read a URL starting with '-' as an option (`--upload-pack=<command>`).
  LUCID_CONFIG_REPO: z.string().min(1).refine((url) => !url.startsWith('-'), "must not start with '-': git would read it as an option").optional(),
});

export type RuntimeEnv = z.infer<typeof runtimeEnvSchema>;

export function runtimeEnv(env: NodeJS.ProcessEnv = process.env): RuntimeEnv {
  return parseEnv(runtimeEnvSchema, env);
}

export function requireConfigRepo(env: RuntimeEnv): string {
  if (!env.LUCID_CONFIG_REPO) throw new EnvError('LUCID_CONFIG_REPO', 'is not set (the config repo path or git URL)');
  return env.LUCID_CONFIG_REPO;
}
