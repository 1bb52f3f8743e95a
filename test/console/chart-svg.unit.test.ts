import { perDay, reconcileLatencies, rolloutDurations } from '../../services/console/chart-series';
import { chartFigure, formatValue, linearScale, niceTicks, type ChartSeries } from '../../services/console/chart-svg';

describe('chart scaling', () => {
  it('maps a domain onto a range, reversed for SVG y, and a one-value domain to the middle', () => {
    const y = linearScale([0, 50], [200, 0]);
    expect([y(0), y(25), y(50)]).toEqual([200, 100, 0]);
    expect(linearScale([7, 7], [10, 20])(7)).toBe(15);
  });

  it.each([
    [9, [0, 2, 4, 6, 8, 10]],
    [10, [0, 2, 4, 6, 8, 10]],
    [47, [0, 10, 20, 30, 40, 50]],
    [0.3, [0, 0.1, 0.2, 0.3]],
    [1234, [0, 500, 1000, 1500]],
    [0, [0, 1]],
    [Number.NaN, [0, 1]],
  ])('ticks up to %p in steps of 1, 2 or 5 times a power of ten', (max, ticks) => {
    expect(niceTicks(max)).toEqual(ticks);
  });

  it('ticks a count in whole steps', () => {
    expect(niceTicks(2, 5, true)).toEqual([0, 1, 2]);
    expect(niceTicks(2)).toEqual([0, 0.5, 1, 1.5, 2]);
    expect(niceTicks(47, 5, true)).toEqual([0, 10, 20, 30, 40, 50]);
  });

  it('prints at most two decimals', () => {
    expect([formatValue(1.005), formatValue(12.5), formatValue(3), formatValue(0.123)]).toEqual(['1', '12.5', '3', '0.12']);
  });
});

describe('chart series from recorded times', () => {
  it('takes ended rollouts only, oldest first, in seconds', () => {
    expect(
      rolloutDurations([
        { startedAt: '2026-12-02T00:00:00Z', endedAt: '2026-12-02T00:01:30Z' },
        { startedAt: '2026-12-03T00:00:00Z' },
        { startedAt: '2026-12-01T00:00:00Z', endedAt: '2026-12-01T00:00:10Z' },
      ]),
    ).toEqual([
      { at: '2026-12-01T00:00:00Z', value: 10 },
      { at: '2026-12-02T00:00:00Z', value: 90 },
    ]);
  });

  it('keeps the newest hundred reconciles', () => {
    const times = Array.from({ length: 150 }, (_, i) => ({ startedAt: new Date(i * 60_000), endedAt: new Date(i * 60_000 + 2500) }));
    const points = reconcileLatencies(times);
    expect(points).toHaveLength(100);
    expect(points[0]).toEqual({ at: new Date(50 * 60_000 + 2500).toISOString(), value: 2.5 });
  });

  it('counts per UTC day over the last days, with the quiet days as zero and older ones left out', () => {
    const now = new Date('2026-12-07T05:00:00Z');
    const points = perDay([new Date('2026-12-07T00:10:00Z'), new Date('2026-12-06T23:59:59Z'), new Date('2026-12-06T01:00:00Z'), new Date('2026-11-01T00:00:00Z')], now, 3);
    expect(points).toEqual([
      { at: '2026-12-05', value: 0 },
      { at: '2026-12-06', value: 2 },
      { at: '2026-12-07', value: 1 },
    ]);
  });
});

describe('the SVG chart', () => {
  const series: ChartSeries = {
    id: 'drift',
    title: 'Drift <per> day',
    description: 'Corrections per day',
    xLabel: 'Day',
    yLabel: 'Corrections',
    points: [
      { at: '2026-12-05', value: 0 },
      { at: '2026-12-06', value: 4 },
    ],
  };

  it('draws a bar per point scaled to the nice top tick, labelled for screen readers, with the data as a table', () => {
    const html = chartFigure(series, 'bars');
    expect(html).toContain('role="img" aria-labelledby="drift-title drift-desc"');
    expect(html).toContain('<h2 id="drift-title">Drift &lt;per&gt; day</h2>');
    const heights = [...html.matchAll(/<rect [^>]*height="([\d.]+)"/g)].map((m) => Number(m[1]));
    // 4 is the top tick: the full plot height (240 - 12 - 44); 0 is no bar at all.
    expect(heights).toEqual([0, 184]);
    expect(html).toMatch(/<tr><td>2026-12-06<\/td><td>4<\/td><\/tr>/);
  });

  it('joins points by a line through their time positions', () => {
    const html = chartFigure({ ...series, points: [{ at: '2026-12-01T00:00:00Z', value: 1 }, { at: '2026-12-01T01:00:00Z', value: 2 }, { at: '2026-12-01T03:00:00Z', value: 1 }] }, 'points');
    const xs = [...html.matchAll(/<circle cx="([\d.]+)"/g)].map((m) => Number(m[1]));
    // Plotted between 64 and 616: an hour in is a third of the way, the last point at the end.
    expect(xs).toEqual([64, 248, 616]);
    expect(html).toContain('<polyline');
  });

  it('says there is no data instead of drawing an empty chart', () => {
    expect(chartFigure({ ...series, points: [] }, 'bars')).toContain('<p class="none">No data yet.</p>');
  });
});
