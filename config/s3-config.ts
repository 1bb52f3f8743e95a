import * as fs from 'node:fs';
import { z } from 'zod';
import { EnvError, parseEnv } from './parse-env';

/** Where sealed chunks are replicated: an S3-compatible service and the bucket that holds them by leaf. */
export interface S3Target {
  endpoint: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** The credentials file the embedded MinIO's are generated into (0600, in the data dir). */
export const s3CredentialsSchema = z.object({ accessKeyId: z.string().min(3), secretAccessKey: z.string().min(8) });

// S3 bucket names: 3-63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit.
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

const s3EnvSchema = z.object({
  LUCID_S3_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http(s):// URL' }).optional(),
  LUCID_S3_BUCKET: z.string().regex(BUCKET, 'must be an S3 bucket name (3-63 of a-z, 0-9, . and -)').default('lucid-chunks'),
  LUCID_S3_REGION: z.string().min(1).default('us-east-1'),
  LUCID_S3_ACCESS_KEY_ID: z.string().min(3, 'at least 3 characters').optional(),
  LUCID_S3_SECRET_ACCESS_KEY: z.string().min(8, 'at least 8 characters').optional(),
  /** A JSON file {accessKeyId, secretAccessKey}: what `lucid dev up` writes for its MinIO. */
  LUCID_S3_CREDENTIALS_FILE: z.string().min(1).optional(),
});

/**
 * The replication target from LUCID_S3_*: undefined when LUCID_S3_ENDPOINT is unset (no replication).
 * Credentials come from LUCID_S3_ACCESS_KEY_ID and LUCID_S3_SECRET_ACCESS_KEY, else LUCID_S3_CREDENTIALS_FILE;
 * an endpoint without any is refused rather than tried anonymously.
 */
export function s3Target(env: NodeJS.ProcessEnv = process.env): S3Target | undefined {
  const e = parseEnv(s3EnvSchema, env);
  if (!e.LUCID_S3_ENDPOINT) return undefined;
  const base = { endpoint: e.LUCID_S3_ENDPOINT, region: e.LUCID_S3_REGION, bucket: e.LUCID_S3_BUCKET };
  if (e.LUCID_S3_ACCESS_KEY_ID || e.LUCID_S3_SECRET_ACCESS_KEY) {
    if (!e.LUCID_S3_ACCESS_KEY_ID) throw new EnvError('LUCID_S3_ACCESS_KEY_ID', 'is not set, but LUCID_S3_SECRET_ACCESS_KEY is');
    if (!e.LUCID_S3_SECRET_ACCESS_KEY) throw new EnvError('LUCID_S3_SECRET_ACCESS_KEY', 'is not set, but LUCID_S3_ACCESS_KEY_ID is');
    return { ...base, accessKeyId: e.LUCID_S3_ACCESS_KEY_ID, secretAccessKey: e.LUCID_S3_SECRET_ACCESS_KEY };
  }
  if (!e.LUCID_S3_CREDENTIALS_FILE) {
    throw new EnvError('LUCID_S3_ACCESS_KEY_ID', 'is not set (nor LUCID_S3_CREDENTIALS_FILE), but LUCID_S3_ENDPOINT is');
  }
  return { ...base, ...readS3Credentials(e.LUCID_S3_CREDENTIALS_FILE) };
}

export function readS3Credentials(file: string): z.infer<typeof s3CredentialsSchema> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new EnvError('LUCID_S3_CREDENTIALS_FILE', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new EnvError('LUCID_S3_CREDENTIALS_FILE', `${file} is not JSON`);
  }
  const parsed = s3CredentialsSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new EnvError('LUCID_S3_CREDENTIALS_FILE', `${file}: ${issue.path.join('.') || '(top)'}: ${issue.message}`);
  }
  return parsed.data;
}
