import * as fs from 'node:fs';
import * as path from 'node:path';
import { readS3Credentials } from '../../config/s3-config';
import { ensureObjectStoreCredentialsFile } from './node-key-file';
import { portFree, need, HOST } from './stack-ports';
import { waitFor, type ManagedProcess } from './managed-process';
import { toolPaths } from './tool-paths';

/** The embedded MinIO as the stack records it: where it answers and where its credentials are. */
export interface ObjectStoreState {
  endpoint: string;
  bucket: string;
  /** The embedded one's: JSON {accessKeyId, secretAccessKey}, 0400 on tmpfs (LUCID_S3_CREDENTIALS_FILE). */
  credentialsFile?: string;
  embedded: boolean;
}

export const DEFAULT_BUCKET = 'lucid-chunks';

/**
 * Starts the embedded MinIO unless it runs: loopback only, its data under `<data dir>/minio/data`, its root
 * credentials from tmpfs passed in the environment (never on the command line, which any user can read).
 */
export async function ensureObjectStore(minio: ManagedProcess, dataDir: string, port: number): Promise<ObjectStoreState> {
  const endpoint = `http://${HOST}:${port}`;
  const { file: credentialsFile, created } = ensureObjectStoreCredentialsFile(dataDir);
  // Written by earlier versions: plaintext keys on the data dir's disk, superseded by the ones on tmpfs.
  fs.rmSync(path.join(dataDir, 'minio', 'credentials.json'), { force: true });
  // New keys (tmpfs emptied) while MinIO runs under the old ones: it restarts under the new.
  if (created && minio.running()) await minio.stop();
  if (!minio.running()) {
    const bin = toolPaths().minio;
    need(bin, 'MinIO');
    await portFree(port, 'object store (MinIO)', '--s3-port, or LUCID_S3_ENDPOINT for another S3 service');
    const creds = readS3Credentials(credentialsFile);
    const data = path.join(dataDir, 'minio', 'data');
    fs.mkdirSync(data, { recursive: true });
    minio.start(bin, ['server', data, '--address', `${HOST}:${port}`, '--console-address', `${HOST}:${port + 1}`, '--quiet', '--json'], {
      ...process.env,
      MINIO_ROOT_USER: creds.accessKeyId,
      MINIO_ROOT_PASSWORD: creds.secretAccessKey,
      MINIO_BROWSER: 'off',
      MINIO_UPDATE: 'off',
    });
  }
  await waitFor('object store (MinIO)', () => objectStoreReady(endpoint), 60_000, () => `\n${minio.logTail()}`);
  return { endpoint, bucket: DEFAULT_BUCKET, credentialsFile, embedded: true };
}

/** MinIO's unauthenticated liveness probe; any other S3 service answers its root with some HTTP status. */
export async function objectStoreReady(endpoint: string): Promise<boolean> {
  const res = await fetch(`${endpoint}/minio/health/live`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
  return res !== undefined && res.status < 500;
}

/** The variables a node worker or a CLI replicates and reads copies with. */
export function objectStoreEnv(s: ObjectStoreState): NodeJS.ProcessEnv {
  return { LUCID_S3_ENDPOINT: s.endpoint, LUCID_S3_BUCKET: s.bucket, ...(s.credentialsFile && { LUCID_S3_CREDENTIALS_FILE: s.credentialsFile }) };
}
