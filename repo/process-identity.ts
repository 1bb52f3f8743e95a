import * as fs from 'node:fs';

/**
 * Field 22 of /proc/<pid>/stat: the start time in clock ticks since boot. A
 * pid plus its start time names one process, even after the pid is reused
 * (after a reboot the restarted worker may well get the same pid).
 */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') return undefined;
    return fields[19];
  } catch {
    return undefined;
  }
}

export function processIdentity(pid = process.pid): string {
  return `${pid} ${processStartTime(pid) ?? ''}`;
}

export function identityAlive(identity: string): boolean {
  const [pid, start] = identity.trim().split(' ');
  const n = Number(pid);
  return Number.isInteger(n) && n > 0 && processStartTime(n) !== undefined && processStartTime(n) === start;
}
