import type { ClusterStore } from '../../stores/cluster-store';
import type { RolloutStore } from '../../stores/rollout-store';
import type { ChartSeries } from './chart-svg';

/** The newest points a time chart shows: more would only blur into a band on a phone. */
const MAX_POINTS = 100;
const DAY_MS = 24 * 60 * 60 * 1000;
export const DRIFT_DAYS = 14;

const seconds = (from: number, to: number) => Math.max(0, (to - from) / 1000);

/** Ended rollouts, oldest first: how long each took from its start. */
export function rolloutDurations(times: Array<{ startedAt?: string; endedAt?: string }>): ChartSeries['points'] {
  return times
    .filter((t): t is { startedAt: string; endedAt: string } => Boolean(t.startedAt && t.endedAt))
    .map((t) => ({ at: t.startedAt, value: seconds(Date.parse(t.startedAt), Date.parse(t.endedAt)) }))
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at))
    .slice(-MAX_POINTS);
}

/** Ended reconciles, oldest first: from accepting a commit to the outcome. */
export function reconcileLatencies(times: Array<{ startedAt: Date; endedAt: Date }>): ChartSeries['points'] {
  return [...times]
    .sort((a, b) => a.endedAt.getTime() - b.endedAt.getTime())
    .slice(-MAX_POINTS)
    .map((t) => ({ at: t.endedAt.toISOString(), value: seconds(t.startedAt.getTime(), t.endedAt.getTime()) }));
}

/** Corrections per UTC day for the `days` days up to `now`, days without any included as 0. */
export function perDay(times: Date[], now: Date, days = DRIFT_DAYS): ChartSeries['points'] {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const first = today - (days - 1) * DAY_MS;
  const counts = new Array<number>(days).fill(0);
  for (const t of times) {
    const i = Math.floor((t.getTime() - first) / DAY_MS);
    if (i >= 0 && i < days) counts[i]! += 1;
  }
  return counts.map((value, i) => ({ at: new Date(first + i * DAY_MS).toISOString().slice(0, 10), value }));
}

/** The console's charts, from what Lucid records anyway (the same records /metrics counts). */
export async function consoleCharts(stores: { clusters: ClusterStore; rollouts: RolloutStore }, now = new Date()): Promise<ChartSeries[]> {
  const [rollouts, reconciles, drift] = await Promise.all([
    stores.rollouts.stateTimes(),
    stores.clusters.outcomeTimes(),
    stores.clusters.driftTimes(),
  ]);
  return [
    {
      id: 'rollout-durations',
      title: 'Rollout durations',
      description: 'Seconds from each ended rollout starting to its end, by when it started.',
      xLabel: 'Started',
      yLabel: 'Seconds',
      points: rolloutDurations(rollouts),
    },
    {
      id: 'reconcile-latency',
      title: 'Reconcile latency',
      description: 'Seconds from a reconcile accepting a commit to its outcome, by when it ended.',
      xLabel: 'Ended',
      yLabel: 'Seconds',
      points: reconcileLatencies(reconciles),
    },
    {
      id: 'drift-per-day',
      title: 'Drift corrections per day',
      description: `Drift checks that found and corrected drift, fleet-wide, per UTC day over the last ${DRIFT_DAYS} days.`,
      xLabel: 'Day (UTC)',
      yLabel: 'Corrections',
      points: perDay(drift, now),
    },
  ];
}
