/**
 * Clusters per drift sweep. One Schedule per cluster is 10,000 Schedules (and 10,000 scheduler workflows) for
 * 10,000 clusters; one per shard of this size is 40.
 */
export const DRIFT_SHARD_CLUSTERS = 250;

/**
 * Splits the inventory into sweeps. A cluster's shard depends only on its id and the shard count, so adding or
 * removing a cluster moves no other cluster unless the count changes (every 250 clusters).
 */
export function driftShards(clusters: readonly string[], perShard = DRIFT_SHARD_CLUSTERS): string[][] {
  const count = Math.max(1, Math.ceil(clusters.length / perShard));
  const shards: string[][] = Array.from({ length: count }, () => []);
  for (const id of [...new Set(clusters)].sort()) shards[fnv1a(id) % count]!.push(id);
  return shards;
}

/** 32-bit FNV-1a: stable across Node versions and machines, unlike anything keyed on insertion order. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
