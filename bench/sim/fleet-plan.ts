import type { Group, Profile } from '../../config/fleet-taxonomy';
import type { SampleCluster } from '../../demo/sample-fleet';
import { seededRandom } from './latency-sampling';

/** The groups a simulated fleet spreads over, with the profile each runs: the demo's services for each. */
const FLEET_GROUPS: ReadonlyArray<{ group: Group; profile: Profile }> = [
  { group: 'blockchain', profile: 'blockchain' },
  { group: 'sessions', profile: 'sessions' },
  { group: 'node', profile: 'node' },
];

export interface FleetPlanOptions {
  clusters: number;
  /** Share of the fleet in the canary wave (at least one cluster). */
  canaryShare: number;
  /** Shares of the clusters after the canary whose services never turn healthy, and whose Pi is offline. */
  failShare: number;
  offlineShare: number;
  seed: number;
  /** How long a wave waits for a Pi to pick up work before counting it unreachable. */
  pickupTimeoutSeconds: number;
}

export interface FleetPlan {
  clusters: SampleCluster[];
  /** clusters.yaml `waves:`: the canary, then one wave per group, each with room for the planned failures. */
  waves: Array<{ name: string; maxUnavailable: number; pickupTimeoutSeconds: number }>;
  failing: Set<string>;
  offline: Set<string>;
}

export const simClusterId = (i: number) => `sim-${String(i).padStart(5, '0')}`;

/**
 * A fleet laid out like a real one: a canary of about 1%, then the rest by
 * group. Failures and offline Pis land after the canary (a canary that fails
 * halts the rollout by design, which is not what the bench measures), and
 * each wave's budget admits exactly the ones planned for it.
 */
export function planFleet(o: FleetPlanOptions): FleetPlan {
  if (!Number.isInteger(o.clusters) || o.clusters < 1) throw new Error(`clusters: ${o.clusters} is not a positive whole number`);
  for (const [k, v] of Object.entries({ canaryShare: o.canaryShare, failShare: o.failShare, offlineShare: o.offlineShare })) {
    if (!(v >= 0 && v <= 1)) throw new Error(`${k}: ${v} is not a share between 0 and 1`);
  }
  const canary = Math.min(o.clusters, Math.max(1, Math.ceil(o.clusters * o.canaryShare)));
  const clusters: SampleCluster[] = Array.from({ length: o.clusters }, (_, i) => {
    const g = FLEET_GROUPS[i % FLEET_GROUPS.length]!;
    return { id: simClusterId(i), group: g.group, profiles: [g.profile], wave: i < canary ? 'canary' : `wave-${g.group}` };
  });
  const rest = clusters.slice(canary);
  const random = seededRandom(o.seed);
  const shuffled = rest.map((c) => ({ c, k: random() })).sort((a, b) => a.k - b.k).map((x) => x.c);
  const failCount = Math.round(rest.length * o.failShare);
  const offlineCount = Math.min(rest.length - failCount, Math.round(rest.length * o.offlineShare));
  const failing = new Set(shuffled.slice(0, failCount).map((c) => c.id));
  const offline = new Set(shuffled.slice(failCount, failCount + offlineCount).map((c) => c.id));
  const waveNames = ['canary', ...FLEET_GROUPS.map((g) => `wave-${g.group}`).filter((name) => rest.some((c) => c.wave === name))];
  const waves = waveNames.map((name) => ({
    name,
    maxUnavailable: clusters.filter((c) => c.wave === name && (failing.has(c.id) || offline.has(c.id))).length,
    pickupTimeoutSeconds: o.pickupTimeoutSeconds,
  }));
  return { clusters, waves, failing, offline };
}
