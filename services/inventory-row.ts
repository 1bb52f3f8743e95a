import type { ClusterSpec } from '../config/inventory';
import type { ClusterRecord } from '../workflows/reconcile-types';

export interface InventoryRow {
  id: string;
  group: string;
  profiles: string[];
  wave: string;
  labels: Record<string, string>;
  desiredCommit: string | null;
  appliedCommit: string | null;
  lastGoodCommit: string | null;
}

/** A cluster where the inventory places it, with the commits recorded for it: a row of `cluster list` and of the console's fleet. */
export function inventoryRow(c: ClusterSpec, r: ClusterRecord): InventoryRow {
  return {
    id: c.id,
    group: c.group,
    profiles: c.profiles,
    wave: c.wave,
    labels: c.labels,
    desiredCommit: r.desiredCommit ?? null,
    appliedCommit: r.appliedCommit ?? null,
    lastGoodCommit: r.lastGoodCommit ?? null,
  };
}
