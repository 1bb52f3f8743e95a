import * as fs from 'node:fs';
import { identityAlive, processIdentity } from './process-identity';

/**
 * An inter-process lock: an O_EXCL lock file holding its owner's pid and start
 * time. Several CLI processes or a restarted worker may fetch into one mirror
 * at once, and git refuses concurrent ref updates. A lock whose owner is gone
 * (crash, power loss) is taken over by renaming it away, which only one
 * contender can do.
 */
export async function withFileLock<T>(lockFile: string, fn: () => Promise<T>, timeoutMs = 120000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  const me = processIdentity();
  for (;;) {
    try {
      fs.writeFileSync(lockFile, me, { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (ownerGone(lockFile)) {
        try {
          fs.renameSync(lockFile, `${lockFile}.stale-${process.pid}`);
          fs.rmSync(`${lockFile}.stale-${process.pid}`, { force: true });
        } catch {
          // another contender took it over first
        }
        continue;
      }
      if (Date.now() > deadline) throw new Error(`lock ${lockFile} still held after ${timeoutMs / 1000}s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockFile, { force: true });
  }
}

function ownerGone(lockFile: string): boolean {
  try {
    return !identityAlive(fs.readFileSync(lockFile, 'utf8'));
  } catch {
    return false;
  }
}
