import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generatePrivateKey } from 'viem/accounts';

/**
 * The embedded stack's node key: 32 random bytes in a 0400 file on tmpfs, made
 * once per data dir and node, so it never reaches regular disk. It lives as
 * long as the machine is up; a real node gets LUCID_NODE_KEY(_FILE) from its
 * sealed store instead, since sessions recorded under a lost key cannot be read.
 */
export function ensureNodeKeyFile(dataDir: string, nodeId: string, tmpfs = '/dev/shm'): string {
  return ensurePrivateKeyFile(keyDir('lucid-node-keys', dataDir, tmpfs), `${nodeId}.key`, () => randomBytes(32).toString('base64'), 'LUCID_NODE_KEY_FILE');
}

/**
 * The embedded stack's chain keys (`anchor`: the chain worker's signing key; `owner`: the key that
 * deployed LucidAnchor and authorises senders), as 0x-hex secp256k1 keys in 0400 files on tmpfs.
 * Lost with a reboot, like the node key; the stack then deploys a fresh contract.
 */
export function ensureChainKeyFile(dataDir: string, name: 'anchor' | 'owner', tmpfs = '/dev/shm'): string {
  return ensurePrivateKeyFile(keyDir('lucid-chain-keys', dataDir, tmpfs), `${name}.key`, () => generatePrivateKey(), 'LUCID_CHAIN_KEY_FILE');
}

/**
 * The embedded MinIO's root credentials (JSON {accessKeyId, secretAccessKey}) in a 0400 file on tmpfs, made once
 * per data dir. After a reboot they are made anew and MinIO restarts under them: its data does not depend on them.
 */
export function ensureObjectStoreCredentialsFile(dataDir: string, tmpfs = '/dev/shm'): { file: string; created: boolean } {
  const dir = keyDir('lucid-s3-keys', dataDir, tmpfs);
  const created = !fs.existsSync(path.join(dir, 'minio.json'));
  const make = () => JSON.stringify({ accessKeyId: `lucid-${randomBytes(6).toString('hex')}`, secretAccessKey: randomBytes(24).toString('base64url') });
  return { file: ensurePrivateKeyFile(dir, 'minio.json', make, 'LUCID_S3_ENDPOINT for another S3 service'), created };
}

function keyDir(prefix: string, dataDir: string, tmpfs: string): string {
  return path.join(tmpfs, `${prefix}-${createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 12)}`);
}

function ensurePrivateKeyFile(dir: string, name: string, make: () => string, envHint: string): string {
  const file = path.join(dir, name);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  // tmpfs is shared by every user: a directory or key someone else planted (or can read) is refused.
  ownedPrivately(dir, envHint);
  if (!fs.existsSync(file)) {
    const tmp = `${file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, make(), { mode: 0o400, flag: 'wx' });
    fs.renameSync(tmp, file);
  }
  ownedPrivately(file, envHint);
  return file;
}

function ownedPrivately(p: string, envHint: string): void {
  const st = fs.lstatSync(p);
  const uid = process.getuid?.();
  if (st.isSymbolicLink() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o077) !== 0) {
    throw new Error(`${p}: not a private file of this user (owner ${st.uid}, mode ${(st.mode & 0o777).toString(8)}); remove it or set ${envHint}`);
  }
}
