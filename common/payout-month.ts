/** A payout period: one calendar month in UTC, written YYYY-MM. */
const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

export function isPayoutMonth(text: string): boolean {
  return MONTH.test(text);
}

/** The month's first and the next month's first instant (UTC): a session ended in [start, end) belongs to it. */
export function monthBounds(month: string): { start: Date; end: Date } {
  const m = MONTH.exec(month);
  if (!m) throw new Error(`'${month}' is not a month (YYYY-MM)`);
  const year = Number(m[1]);
  const index = Number(m[2]) - 1;
  return { start: new Date(Date.UTC(year, index, 1)), end: new Date(Date.UTC(year, index + 1, 1)) };
}

export function monthOf(at: Date): string {
  return `${at.getUTCFullYear()}-${String(at.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** The month a run scheduled at `at` pays: the one that just ended (a run on 1 December pays November). */
export function monthPaidAt(at: Date): string {
  return monthOf(new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() - 1, 1)));
}

export function previousMonth(month: string): string {
  return monthPaidAt(monthBounds(month).start);
}
