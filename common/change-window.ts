/**
 * Change windows as cron expressions (`minute hour day-of-month month day-of-week`, UTC).
 * A minute is inside the window when the expression matches it. Pure and
 * deterministic, so workflow code can compute when a deferred wave may start.
 */
const FIELDS: Array<{ name: string; min: number; max: number }> = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 7 },
];

export type CronWindow = Array<Set<number>>;

export function parseCronWindow(expr: string): CronWindow {
  const parts = expr.trim().split(/\s+/);
  if (parts.length !== 5) throw new Error(`'${expr}' must have 5 fields (minute hour day-of-month month day-of-week)`);
  return parts.map((part, i) => {
    const { name, min, max } = FIELDS[i]!;
    const set = new Set<number>();
    for (const item of part.split(',')) {
      const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(item);
      if (!m) throw new Error(`'${expr}': ${name} '${item}' is not *, N, N-M or a step`);
      const lo = m[1] === '*' ? min : Number(m[2]);
      const hi = m[1] === '*' ? max : m[3] !== undefined ? Number(m[3]) : m[4] ? max : lo;
      const step = m[4] ? Number(m[4]) : 1;
      if (lo < min || hi > max || lo > hi || step < 1) throw new Error(`'${expr}': ${name} '${item}' is outside ${min}-${max}`);
      for (let v = lo; v <= hi; v += step) set.add(i === 4 && v === 7 ? 0 : v);
    }
    return set;
  });
}

export function inWindow(window: CronWindow, at: Date): boolean {
  const values = [at.getUTCMinutes(), at.getUTCHours(), at.getUTCDate(), at.getUTCMonth() + 1, at.getUTCDay()];
  return values.every((v, i) => window[i]!.has(v));
}

/** The start of the first minute, from `from` on, inside any of the windows; undefined if none within 366 days. */
export function nextWindowStart(windows: CronWindow[], from: Date): Date | undefined {
  if (windows.length === 0) return from;
  if (windows.some((w) => inWindow(w, from))) return from;
  const t = new Date(from.getTime());
  t.setUTCSeconds(0, 0);
  for (let i = 0; i < 366 * 24 * 60; i++) {
    t.setTime(t.getTime() + 60000);
    if (windows.some((w) => inWindow(w, t))) return t;
  }
  return undefined;
}
