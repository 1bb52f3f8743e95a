import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';

/** Every file under the dirs that exist whose bytes contain `needle`; a grep that fails (not "none found") throws. */
export function filesContaining(dirs: string[], needle: string): string[] {
  const present = dirs.filter((d) => fs.existsSync(d));
  if (present.length === 0) return [];
  try {
    return execFileSync('grep', ['-rlaF', '--devices=skip', '--', needle, ...present], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch (err) {
    // grep exits 1 when nothing matched, 2 on an error (an unreadable file), which must not pass as "nowhere".
    if ((err as { status?: number }).status === 1) return [];
    throw err;
  }
}
