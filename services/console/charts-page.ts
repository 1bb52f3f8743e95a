import { chartFigure, type ChartSeries } from './chart-svg';
import { layout, type PageContext } from './console-pages';

/** Drift corrections are counts per day: bars; the others are values at points in time. */
const BARS = new Set(['drift-per-day']);

export function chartsPage(page: PageContext, charts: ChartSeries[]): string {
  return layout('Charts', charts.map((c) => chartFigure(c, BARS.has(c.id) ? 'bars' : 'points')).join(''), page, 'charts');
}
