import type { ClusterProgress, ClusterState } from './rollout-types';

/**
 * A wave starts at most this many batches per step: each costs its history about 9 events, and a wave
 * runs up to three steps (reconcile, recheck, revert), so even 100,000 clusters stay near 13,500 events.
 */
export const MAX_BATCHES_PER_STEP = 500;

/** Up to this many clusters a wave's status lists each of them; above, only its first bad ones and counts. */
export const STATUS_CLUSTERS_MAX = 100;

/** How many bad clusters, with their reasons, travel up from a batch and from a wave. */
export const BAD_REPORTED_MAX = 50;

/** `items` in consecutive batches of `batchClusters`, larger when that would make more than MAX_BATCHES_PER_STEP. */
export function batchesOf<T>(items: T[], batchClusters: number): T[][] {
  const size = Math.max(batchClusters, Math.ceil(items.length / MAX_BATCHES_PER_STEP), 1);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function countStates(clusters: ClusterProgress[]): Partial<Record<ClusterState, number>> {
  const counts: Partial<Record<ClusterState, number>> = {};
  for (const cp of clusters) counts[cp.state] = (counts[cp.state] ?? 0) + 1;
  return counts;
}

/** The wave's clusters named in a timeline line: all of a small wave, the first ones and a count of a large one. */
export function clusterList(ids: string[], named = 20): string {
  if (ids.length <= named) return ids.join(', ');
  return `${ids.length} clusters (${ids.slice(0, named).join(', ')} and ${ids.length - named} more)`;
}

/** The entries of `all` for `ids`: what a wave or batch needs of the plan's map of the whole fleet. */
export function pick<V>(all: Record<string, V>, ids: string[]): Record<string, V> {
  const out: Record<string, V> = {};
  for (const id of ids) if (id in all) out[id] = all[id]!;
  return out;
}
