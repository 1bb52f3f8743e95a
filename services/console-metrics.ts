import { Counter, Histogram, Registry } from 'prom-client';
import type { Db } from 'mongodb';

const DURATION_BUCKETS = [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600];

/**
 * Prometheus metrics read from MongoDB at scrape time, so every console
 * replica reports the same fleet-wide numbers and nothing is lost on restart.
 */
export function consoleMetrics(db: Db): Registry {
  const registry = new Registry();
  const reconciles = db.collection<{ outcome: string; clusterId: string; startedAt: Date; endedAt: Date }>('reconciles');
  const rollouts = db.collection<{ state: string; startedAt?: string; endedAt?: string }>('rollouts');
  const drift = db.collection<{ clusterId: string }>('drift_corrections');

  new Counter({
    name: 'lucid_reconciles_total',
    help: 'Reconcile workflows that ended, by cluster and outcome',
    labelNames: ['cluster', 'outcome'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await reconciles.find({}, { projection: { clusterId: 1, outcome: 1 } }).toArray()) {
        this.inc({ cluster: r.clusterId, outcome: r.outcome });
      }
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
      for (const r of await reconciles.find({}, { projection: { outcome: 1, startedAt: 1, endedAt: 1 } }).toArray()) {
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
      for (const r of await rollouts.find({}, { projection: { state: 1 } }).toArray()) this.inc({ state: r.state });
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
      for (const r of await rollouts.find({ endedAt: { $exists: true } }).toArray()) {
        if (r.startedAt && r.endedAt) this.observe({ state: r.state }, (Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1000);
      }
    },
  });
  new Counter({
    name: 'lucid_drift_corrections_total',
    help: 'Drift checks that found and corrected drift, by cluster',
    labelNames: ['cluster'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const d of await drift.find({}, { projection: { clusterId: 1 } }).toArray()) this.inc({ cluster: d.clusterId });
    },
  });
  return registry;
}
