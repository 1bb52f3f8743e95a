import * as fs from 'node:fs';

/** Linux's clock ticks per second for /proc/<pid>/stat times (USER_HZ, 100 on every mainstream kernel build). */
const CLOCK_TICKS = 100;

/**
 * A process's CPU time so far (user + system) and peak resident memory, read from /proc; `cpuSeconds` adds
 * the CPU of its children that have ended (a simulated Pi's git commands, say).
 */
export function procUsage(pid: number): { cpuSeconds: number; peakRssBytes: number } {
  // Fields after the parenthesised command name; utime, stime, cutime and cstime are fields 14 to 17 of the whole line.
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuSeconds = (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS;
  const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuSeconds, peakRssBytes: Number(hwm?.[1] ?? 0) * 1024 };
}
