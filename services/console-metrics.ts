import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Db } from 'mongodb';
import type { ChainEndpoint } from '../config/chain-config';
import { INSECURE_GATES, OPT_OUT_FILE } from '../config/insecure-opt-out';
import { AnchorStore } from '../stores/anchor-store';
import { ClusterStore } from '../stores/cluster-store';
import { ReplicationStore } from '../stores/replication-store';
import { SessionStore } from '../stores/session-store';
import { anchorStatus, type AnchorStatus } from './anchor-status';
import { RolloutStore } from '../stores/rollout-store';

const DURATION_BUCKETS = [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600];

/**
 * Prometheus metrics read from MongoDB at scrape time, so every console
 * replica reports the same fleet-wide numbers and nothing is lost on restart.
 */
export function consoleMetrics(db: Db, chain?: () => ChainEndpoint): Registry {
  const registry = new Registry();
  const clusters = new ClusterStore(db);
  const rollouts = new RolloutStore(db);
  const anchoring = () => anchorStatus({ anchors: new AnchorStore(db), sessions: new SessionStore(db), chain: chain!() });

  new Counter({
    name: 'lucid_reconciles_total',
    help: 'Reconcile workflows that ended, by cluster and outcome',
    labelNames: ['cluster', 'outcome'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await clusters.outcomeTimes()) this.inc({ cluster: r.clusterId, outcome: r.outcome });
    },
  });
  new Histogram({
    name: 'lucid_reconcile_duration_seconds',
    help: 'From a reconcile accepting a commit to its outcome',
    labelNames: ['outcome'],
    buckets: DURATION_BUCKETS,
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await clusters.outcomeTimes()) {
        this.observe({ outcome: r.outcome }, (r.endedAt.getTime() - r.startedAt.getTime()) / 1000);
      }
    },
  });
  new Counter({
    name: 'lucid_rollouts_total',
    help: 'Rollouts by their last recorded state',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await rollouts.stateTimes()) this.inc({ state: r.state });
    },
  });
  new Histogram({
    name: 'lucid_rollout_duration_seconds',
    help: 'From a rollout starting to its end, for ended rollouts',
    labelNames: ['state'],
    buckets: DURATION_BUCKETS,
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await rollouts.stateTimes()) {
        if (r.startedAt && r.endedAt) this.observe({ state: r.state }, (Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1000);
      }
    },
  });
  new Gauge({
    name: 'lucid_insecure_optout',
    help: `1 when the newest rollout that passed the gates did so only because ${OPT_OUT_FILE} opts out of this gate`,
    labelNames: ['gate'],
    registers: [registry],
    async collect() {
      const optedOut = new Set((await rollouts.newestGated())?.insecure);
      // Every gate is always exported (0 or 1), so an alert on `== 1` never reads a missing series as fine.
      for (const gate of INSECURE_GATES) this.set({ gate }, optedOut.has(gate) ? 1 : 0);
    },
  });
  new Counter({
    name: 'lucid_drift_corrections_total',
    help: 'Drift checks that found and corrected drift, by cluster',
    labelNames: ['cluster'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const id of await clusters.correctedClusters()) this.inc({ cluster: id });
    },
  });
  const replication = new ReplicationStore(db);
  new Gauge({
    name: 'lucid_replication_lag_chunks',
    help: "Chunks a node has journaled that have no checked copy in its object store yet (absent: the node's copies are all done)",
    labelNames: ['node'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const n of await replication.lagByNode()) this.set({ node: n.nodeId }, n.chunks);
    },
  });
  new Gauge({
    name: 'lucid_replication_failing_sessions',
    help: "Sessions whose last attempt to copy chunks to the node's object store failed (the store down, say)",
    labelNames: ['node'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const n of await replication.lagByNode()) this.set({ node: n.nodeId }, n.failing);
    },
  });
  if (chain) {
    // One status read per scrape for all three anchoring gauges (SPEC-4: anchor queue depth, anchor latency, indexer lag).
    let scrape: Promise<AnchorStatus> | undefined;
    const status = () => (scrape ??= anchoring().finally(() => setTimeout(() => (scrape = undefined), 0)));
    new Gauge({
      name: 'lucid_anchor_queue_depth',
      help: 'Stored sessions whose root is not anchored yet',
      registers: [registry],
      async collect() {
        this.set((await status()).pending);
      },
    });
    new Gauge({
      name: 'lucid_anchor_latency_seconds',
      help: 'From a session manifest stored to its batch anchored, over the last 1000 sessions',
      labelNames: ['quantile'],
      registers: [registry],
      async collect() {
        const { latencySeconds } = await status();
        this.reset();
        if (latencySeconds.p50 !== null) this.set({ quantile: '0.5' }, latencySeconds.p50);
        if (latencySeconds.p95 !== null) this.set({ quantile: '0.95' }, latencySeconds.p95);
      },
    });
    new Gauge({
      name: 'lucid_anchor_indexer_lag_blocks',
      help: 'Blocks between the chain head and the anchor event index (absent while the chain is unreachable)',
      registers: [registry],
      async collect() {
        const s = await status();
        this.reset();
        if (s.chainHead !== null) this.set(Math.max(0, s.chainHead + 1 - s.indexerBlock));
      },
    });
  }
  return registry;
}
