import { inWindow, nextWindowStart, parseCronWindow } from '../../common/change-window';

const at = (iso: string) => new Date(iso);

describe('change windows', () => {
  it('matches minutes inside a weekday night window', () => {
    const w = parseCronWindow('* 22-23 * * 1-5');
    expect(inWindow(w, at('2026-11-24T22:30:00Z'))).toBe(true); // Tuesday
    expect(inWindow(w, at('2026-11-24T21:59:00Z'))).toBe(false);
    expect(inWindow(w, at('2026-11-28T22:30:00Z'))).toBe(false); // Saturday
  });

  it('supports lists, steps and 7 as Sunday', () => {
    const w = parseCronWindow('*/15 1,3 * * 7');
    expect(inWindow(w, at('2026-11-29T03:45:00Z'))).toBe(true); // Sunday
    expect(inWindow(w, at('2026-11-29T03:46:00Z'))).toBe(false);
  });

  it('computes the next opening, now when already open, none for an impossible window', () => {
    const w = [parseCronWindow('0 2 * * *')];
    expect(nextWindowStart(w, at('2026-11-24T10:17:31Z'))).toEqual(at('2026-11-25T02:00:00Z'));
    expect(nextWindowStart(w, at('2026-11-25T02:00:10Z'))).toEqual(at('2026-11-25T02:00:10Z'));
    expect(nextWindowStart([], at('2026-11-24T10:00:00Z'))).toEqual(at('2026-11-24T10:00:00Z'));
    expect(nextWindowStart([parseCronWindow('0 0 31 2 *')], at('2026-11-24T10:00:00Z'))).toBeUndefined();
  });

  it('rejects malformed expressions with the field that is wrong', () => {
    expect(() => parseCronWindow('* * *')).toThrow(/5 fields/);
    expect(() => parseCronWindow('* 24 * * *')).toThrow(/hour '24' is outside 0-23/);
    expect(() => parseCronWindow('x * * * *')).toThrow(/minute 'x'/);
  });
});
