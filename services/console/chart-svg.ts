import { esc } from './console-pages';

/** One chart's data, as the JSON API serves it: values over time, oldest first. */
export interface ChartSeries {
  id: string;
  title: string;
  /** What the chart shows, in a sentence: the SVG's description for screen readers. */
  description: string;
  xLabel: string;
  yLabel: string;
  points: Array<{ at: string; value: number }>;
}

/** Maps a domain onto a range linearly; a domain of one value maps to the middle of the range. */
export function linearScale(domain: readonly [number, number], range: readonly [number, number]): (v: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  if (d1 === d0) return () => (r0 + r1) / 2;
  return (v) => r0 + ((v - d0) / (d1 - d0)) * (r1 - r0);
}

/**
 * Axis ticks from 0 to at least `max` in steps of 1, 2 or 5 times a power of ten, about `count` of them; with
 * `integers`, steps of 1 at the least (a count has no half).
 */
export function niceTicks(max: number, count = 5, integers = false): number[] {
  if (!(max > 0) || !Number.isFinite(max)) return [0, 1];
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / magnitude;
  const nice = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * magnitude;
  const step = integers ? Math.max(1, nice) : nice;
  const steps = Math.ceil(max / step - 1e-9);
  // toPrecision: 0.1 * 3 is 0.30000000000000004, which would print as such on the axis.
  return Array.from({ length: steps + 1 }, (_, i) => Number((i * step).toPrecision(12)));
}

/** A number as an axis or table shows it: at most two decimals, no trailing zeros. */
export function formatValue(v: number): string {
  return String(Number(v.toFixed(2)));
}

const W = 640;
const H = 240;
const M = { left: 56, right: 16, top: 12, bottom: 44 };
const INK = '#1a1a1a';
const MUTED = '#52606d';
const GRID = '#d9e2ec';
const MARK = '#0b4f9c';

function text(x: number, y: number, anchor: 'start' | 'middle' | 'end', body: string, extra = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" text-anchor="${anchor}" font-size="14" fill="${INK}"${extra}>${esc(body)}</text>`;
}

/**
 * An inline SVG chart (`points`: values at their time, joined by a line; `bars`: one bar per point, such as a day)
 * and the same data as a table, for screen readers and anyone who would rather read the numbers.
 */
export function chartFigure(series: ChartSeries, kind: 'points' | 'bars'): string {
  const heading = `<h2 id="${esc(series.id)}-title">${esc(series.title)}</h2>`;
  if (series.points.length === 0) return `<section class="chart" aria-labelledby="${esc(series.id)}-title">${heading}<p class="none">No data yet.</p></section>`;
  const ticks = niceTicks(Math.max(...series.points.map((p) => p.value)), 5, kind === 'bars');
  const y = linearScale([0, ticks.at(-1)!], [H - M.bottom, M.top]);
  const grid = ticks
    .map((t) => `<line x1="${M.left}" x2="${W - M.right}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="${GRID}"/>${text(M.left - 6, y(t) + 4, 'end', formatValue(t))}`)
    .join('');
  const marks = kind === 'bars' ? bars(series, y) : line(series, y);
  const labels = text(M.left, H - 4, 'start', series.points[0]!.at) + (series.points.length > 1 ? text(W - M.right, H - 4, 'end', series.points.at(-1)!.at) : '');
  const axisTitle = text(12, (H - M.bottom + M.top) / 2, 'middle', series.yLabel, ` transform="rotate(-90 12 ${((H - M.bottom + M.top) / 2).toFixed(1)})"`);
  const svg =
    `<svg class="chart-svg" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-labelledby="${esc(series.id)}-title ${esc(series.id)}-desc">` +
    `<desc id="${esc(series.id)}-desc">${esc(series.description)}</desc>${grid}` +
    `<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}" stroke="${MUTED}"/>` +
    `<line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="${MUTED}"/>${marks}${labels}${axisTitle}</svg>`;
  const rows = series.points.map((p) => `<tr><td>${esc(p.at)}</td><td>${formatValue(p.value)}</td></tr>`).join('');
  const table =
    `<details><summary>${esc(series.title)} as a table</summary><div class="scroll"><table><caption class="sr">${esc(series.title)}</caption>` +
    `<thead><tr><th scope="col">${esc(series.xLabel)}</th><th scope="col">${esc(series.yLabel)}</th></tr></thead><tbody>${rows}</tbody></table></div></details>`;
  return `<section class="chart" aria-labelledby="${esc(series.id)}-title">${heading}${svg}${table}</section>`;
}

function line(series: ChartSeries, y: (v: number) => number): string {
  const times = series.points.map((p) => Date.parse(p.at));
  const x = linearScale([Math.min(...times), Math.max(...times)], [M.left + 8, W - M.right - 8]);
  const xy = series.points.map((p, i) => [x(times[i]!), y(p.value)] as const);
  const path = xy.length > 1 ? `<polyline fill="none" stroke="${MARK}" stroke-width="2" points="${xy.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(' ')}"/>` : '';
  const dots = xy
    .map(([a, b], i) => `<circle cx="${a.toFixed(1)}" cy="${b.toFixed(1)}" r="3.5" fill="${MARK}"><title>${esc(series.points[i]!.at)}: ${formatValue(series.points[i]!.value)}</title></circle>`)
    .join('');
  return path + dots;
}

function bars(series: ChartSeries, y: (v: number) => number): string {
  const slot = (W - M.left - M.right) / series.points.length;
  const width = Math.max(1, slot * 0.7);
  return series.points
    .map((p, i) => {
      const top = y(p.value);
      const x = M.left + i * slot + (slot - width) / 2;
      return `<rect x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${width.toFixed(1)}" height="${(H - M.bottom - top).toFixed(1)}" fill="${MARK}"><title>${esc(p.at)}: ${formatValue(p.value)}</title></rect>`;
    })
    .join('');
}
