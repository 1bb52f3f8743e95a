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
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  // tmpfs is shared by every user: a directory or key someone else planted (or can read) is refused.
  ownedPrivately(dir);
  if (!fs.existsSync(file)) {
    const tmp = `${file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, randomBytes(32).toString('base64'), { mode: 0o400, flag: 'wx' });
    fs.renameSync(tmp, file);
  }
  ownedPrivately(file);
  return file;
}

function ownedPrivately(p: string): void {
  const st = fs.lstatSync(p);
  const uid = process.getuid?.();
  if (st.isSymbolicLink() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o077) !== 0) {
    throw new Error(`${p}: not a private file of this user (owner ${st.uid}, mode ${(st.mode & 0o777).toString(8)}); remove it or set LUCID_NODE_KEY_FILE`);
  }
}
