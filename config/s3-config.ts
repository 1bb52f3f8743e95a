import * as fs from 'node:fs';
import { z } from 'zod';
import { diskFsType } from '../common/ram-fs';
import { decryptSopsYaml } from '../secrets/sops-decrypt';
import { ageIdentities } from './age-identities';
import { EnvError, parseEnv } from './parse-env';

/** Where sealed chunks are replicated: an S3-compatible service and the bucket that holds them by leaf. */
export interface S3Target {
  endpoint: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** A credentials file: what the embedded MinIO's are generated into (0400, on tmpfs). */
export const s3CredentialsSchema = z.object({ accessKeyId: z.string().min(3), secretAccessKey: z.string().min(8) });

// S3 bucket names: 3-63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit.
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

const s3EnvSchema = z.object({
  LUCID_S3_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http(s):// URL' }).optional(),
  LUCID_S3_BUCKET: z.string().regex(BUCKET, 'must be an S3 bucket name (3-63 of a-z, 0-9, . and -)').default('lucid-chunks'),
  LUCID_S3_REGION: z.string().min(1).default('us-east-1'),
  LUCID_S3_ACCESS_KEY_ID: z.string().min(3, 'at least 3 characters').optional(),
  LUCID_S3_SECRET_ACCESS_KEY: z.string().min(8, 'at least 8 characters').optional(),
  /** A JSON file {accessKeyId, secretAccessKey} on tmpfs or ramfs, private to this user: what `lucid dev up` makes for its MinIO. */
  LUCID_S3_CREDENTIALS_FILE: z.string().min(1).optional(),
  /** A SOPS-encrypted YAML file with S3_ACCESS_KEY and S3_SECRET_KEY, opened with the worker's age identity. */
  LUCID_S3_SECRETS_FILE: z.string().min(1).optional(),
});

/** The names SPEC-4's cluster `.env` gives the object store's keys (`enc:sops`), as a SOPS file holds them. */
const s3SecretsSchema = z.object({
  S3_ACCESS_KEY: z.string({ error: 'must be set (the access key id)' }).min(3, 'at least 3 characters'),
  S3_SECRET_KEY: z.string({ error: 'must be set (the secret access key)' }).min(8, 'at least 8 characters'),
});

/**
 * The replication target from LUCID_S3_*: undefined when LUCID_S3_ENDPOINT is unset (no replication).
 * Credentials come from LUCID_S3_ACCESS_KEY_ID and LUCID_S3_SECRET_ACCESS_KEY, else LUCID_S3_SECRETS_FILE (SOPS,
 * decrypted in memory with LUCID_AGE_IDENTITY(_FILE)), else LUCID_S3_CREDENTIALS_FILE (on tmpfs only); an
 * endpoint without any is refused rather than tried anonymously. Plaintext keys are never read from a disk.
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
  if (e.LUCID_S3_SECRETS_FILE) return { ...base, ...readS3Secrets(e.LUCID_S3_SECRETS_FILE, ageIdentities(env)) };
  if (!e.LUCID_S3_CREDENTIALS_FILE) {
    throw new EnvError('LUCID_S3_ACCESS_KEY_ID', 'is not set (nor LUCID_S3_SECRETS_FILE or LUCID_S3_CREDENTIALS_FILE), but LUCID_S3_ENDPOINT is');
  }
  return { ...base, ...readS3Credentials(e.LUCID_S3_CREDENTIALS_FILE) };
}

/** The keys from a SOPS file, decrypted in memory; the whole file authenticates or it is refused. */
function readS3Secrets(file: string, identities: string[]): z.infer<typeof s3CredentialsSchema> {
  if (identities.length === 0) throw new EnvError('LUCID_AGE_IDENTITY_FILE', `is not set (nor LUCID_AGE_IDENTITY), but LUCID_S3_SECRETS_FILE ${file} needs it`);
  const doc = decryptSopsYaml(readVariableFile('LUCID_S3_SECRETS_FILE', file), identities, file);
  const parsed = s3SecretsSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new EnvError('LUCID_S3_SECRETS_FILE', `${file}: ${issue.path.join('.') || '(top)'}: ${issue.message}`);
  }
  return { accessKeyId: parsed.data.S3_ACCESS_KEY, secretAccessKey: parsed.data.S3_SECRET_KEY };
}

/** A plaintext credentials file: read only from tmpfs or ramfs, and only when no other user can read it. */
export function readS3Credentials(file: string): z.infer<typeof s3CredentialsSchema> {
  const text = readVariableFile('LUCID_S3_CREDENTIALS_FILE', file);
  const onDisk = diskFsType(file);
  if (onDisk) {
    throw new EnvError('LUCID_S3_CREDENTIALS_FILE', `${file} is on a disk (file system ${onDisk}); plaintext keys only on tmpfs, else use LUCID_S3_SECRETS_FILE (SOPS)`);
  }
  const mode = fs.statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) throw new EnvError('LUCID_S3_CREDENTIALS_FILE', `${file}: mode ${mode.toString(8)} lets others read the keys; chmod 400 it`);
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

function readVariableFile(variable: string, file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new EnvError(variable, `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
