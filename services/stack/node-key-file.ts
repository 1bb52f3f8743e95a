import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The embedded stack's node key: 32 random bytes in a 0400 file on tmpfs, made
 * once per data dir and node, so it never reaches regular disk. It lives as
 * long as the machine is up; a real node gets LUCID_NODE_KEY(_FILE) from its
 * sealed store instead, since sessions recorded under a lost key cannot be read.
 */
export function ensureNodeKeyFile(dataDir: string, nodeId: string, tmpfs = '/dev/shm'): string {
  const dir = path.join(tmpfs, `lucid-node-keys-${createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 12)}`);
  const file = path.join(dir, `${nodeId}.key`);
  if (fs.existsSync(file)) return file;
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, randomBytes(32).toString('base64'), { mode: 0o400 });
  fs.renameSync(tmp, file);
  return file;
}
