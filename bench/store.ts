import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { MongoClient } from 'mongodb';
import { mongoReady } from '../services/stack/embedded-stack';
import { ManagedProcess, waitFor } from '../services/stack/managed-process';
import { toolPaths } from '../services/stack/tool-paths';
import { ClusterStore, type ReconcileDoc } from '../stores/cluster-store';

/**
 * bench:store, against the embedded FerretDB (SQLite): what recording one reconcile outcome costs (the per-cluster
 * write a rollout batch makes) in an empty store and again once the store holds a fleet's worth of outcomes, in one
 * run. A write by _id should not depend on the collection's size; FerretDB v1.24.0 as released looked _id up with
 * another expression than its _id index's and scanned the table (scripts/patches/ferretdb-sqlite-id-index.patch).
 * `--ferretdb <binary>` runs another build, e.g. the unpatched one, for comparison.
 */
const SAMPLES = 200;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { ferretdb: { type: 'string', default: toolPaths().ferretdb }, fill: { type: 'string', default: '5000' } },
  });
  const fill = Number(values.fill);
  if (!Number.isInteger(fill) || fill < SAMPLES) throw new Error(`--fill: '${values.fill}' is not a whole number of at least ${SAMPLES}`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-bench-store-'));
  const ferret = new ManagedProcess('ferretdb', path.join(dataDir, 'stack'));
  const port = 39500 + Number(process.env.LUCID_TEST_PORT_OFFSET ?? 0);
  const url = `mongodb://127.0.0.1:${port}/`;
  let client: MongoClient | undefined;
  try {
    fs.mkdirSync(path.join(dataDir, 'ferretdb'));
    ferret.start(values.ferretdb, [
      '--handler=sqlite',
      `--sqlite-url=file:${path.join(dataDir, 'ferretdb')}/`,
      `--listen-addr=127.0.0.1:${port}`,
      `--state-dir=${path.join(dataDir, 'ferretdb')}`,
      '--debug-addr=',
      '--telemetry=disable',
      '--log-level=warn',
    ]);
    await waitFor('FerretDB', () => mongoReady(url), 30000, () => `\n${ferret.logTail()}`);
    client = await MongoClient.connect(url);
    const store = new ClusterStore(client.db('lucid'));
    let next = 0;
    const recordMany = async (n: number) => {
      const t = performance.now();
      for (let i = 0; i < n; i++, next++) await store.recordOutcome(outcome(next));
      return (performance.now() - t) / n;
    };
    const empty = await recordMany(SAMPLES);
    await recordMany(fill - SAMPLES);
    const full = await recordMany(SAMPLES);
    console.log(`bench:store: ${values.ferretdb}`);
    console.log(`  one reconcile outcome recorded (reconcile record + cluster record, by _id), mean of ${SAMPLES}:`);
    console.log(`  empty store ${empty.toFixed(2)} ms; holding ${fill} outcomes of ${fill} clusters ${full.toFixed(2)} ms`);
    console.log(`  ratio full / empty: ${(full / empty).toFixed(2)} (1.00 = independent of the store's size)`);
  } finally {
    await client?.close();
    await ferret.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The outcome a rollout batch records for cluster `i`, with the ids and fields the real ones carry. */
function outcome(i: number): ReconcileDoc {
  const clusterId = `sim-${String(i).padStart(5, '0')}`;
  const commit = 'c'.repeat(40);
  const at = new Date();
  return {
    _id: `rollout-${commit}/batch-${Math.floor(i / 100)}/run/${clusterId}`,
    workflowId: `rollout-${commit}/batch-${Math.floor(i / 100)}`,
    runId: 'run',
    clusterId,
    commit,
    outcome: 'healthy',
    appliedCommit: commit,
    services: [{ name: 'web', image: `registry.lucid.test/web@sha256:${'0'.repeat(64)}`, state: 'running', health: 'healthy', commit }],
    startedAt: at,
    endedAt: at,
  };
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
