import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { type Db, MongoClient } from 'mongodb';
import { stringify } from 'yaml';
import { ConfigRepoWriter } from '../../demo/config-repo-writer';
import { sampleFleetFiles } from '../../demo/sample-fleet';
import { downStack, type StackOptions, stackStatus, upStack } from '../../services/stack/embedded-stack';
import type { StackEngine } from '../../services/stack/stack-state';
import { ClusterStore } from '../../stores/cluster-store';
import { createControlWorker } from '../../workers/control';
import { CLUSTER_ACTIVITY_POLLERS } from '../../workers/cluster';
import { createReconcileWorker } from '../../workers/reconcile';
import type { rollout } from '../../workflows';
import type { RolloutStatus } from '../../workflows/rollout-types';
import { CONTROL_QUEUE, rolloutWorkflowId } from '../../workflows/task-queues';
import { formatTrace, traceHistory } from '../history-trace';
import { FAULTS, type Fault, type FaultRun, rolloutThroughFault } from './fault-injection';
import { planFleet } from './fleet-plan';
import { loadLatencies } from './latency-sampling';
import { measureDriftSweep } from './drift-sweep-load';
import { procUsage } from './proc-usage';
import type { PiSpec } from './pi-worker';
import { startSimulatedPis } from './simulated-pis';

/**
 * bench:fleet -- --clusters N [--fail 0.01] [--offline 0.005] [--pis 4] [--engine dev|postgres]
 * [--batch-clusters N] [--batches-at-once N] [--drift-seconds 3600] [--pi-work replayed|real] [--trace] [--drift-sweep]
 * [--starts-per-second 100] (Pis coming online, before the commit) [--pi-pollers 10] (long polls each Pi holds)
 * [--fault kill-temporal|restart-postgres [--fault-after N] [--fault-down-ms 3000]]: a SIMULATION of a fleet of N Pis.
 * The rollout, Temporal and MongoDB are real; the container engine is simulated, with latencies measured from
 * real Compose runs on this machine (bench:record-latencies). The Pis' own git fetch, gates and render are real
 * for one cluster of each group per simulated-Pi process and replayed from measured latencies for the others
 * (`--pi-work real`: real for every cluster, which on this one host puts every Pi's CPU on its two cores).
 * `--fault` kills or restarts a server once N clusters are healthy and times the rollout through it.
 */
const MB = 1024 * 1024;

function options() {
  const { values } = parseArgs({
    options: {
      clusters: { type: 'string', default: '50' },
      fail: { type: 'string', default: '0' },
      offline: { type: 'string', default: '0' },
      pis: { type: 'string', default: '4' },
      seed: { type: 'string', default: '1' },
      'pickup-timeout': { type: 'string', default: '15' },
      'starts-per-second': { type: 'string', default: '100' },
      'pi-pollers': { type: 'string', default: String(CLUSTER_ACTIVITY_POLLERS) },
      'batch-clusters': { type: 'string' },
      // The product's default is 300 s; a sweep in the middle of one run and not the next would make runs incomparable.
      'drift-seconds': { type: 'string', default: '3600' },
      'batches-at-once': { type: 'string' },
      'pi-work': { type: 'string', default: 'replayed' },
      trace: { type: 'boolean', default: false },
      'drift-sweep': { type: 'boolean', default: false },
      engine: { type: 'string', default: process.env.LUCID_ENGINE ?? 'dev' },
      fault: { type: 'string' },
      'fault-after': { type: 'string' },
      'fault-down-ms': { type: 'string', default: '3000' },
    },
  });
  const num = (name: keyof typeof values, whole: boolean) => {
    const v = Number(values[name]);
    if (!Number.isFinite(v) || (whole && !Number.isInteger(v))) throw new Error(`--${name}: '${values[name]}' is not a ${whole ? 'whole ' : ''}number`);
    return v;
  };
  const engine = values.engine as StackEngine;
  if (engine !== 'dev' && engine !== 'postgres') throw new Error(`--engine: '${values.engine}' is neither dev nor postgres`);
  const fault = values.fault as Fault | undefined;
  if (fault !== undefined && !FAULTS.includes(fault)) throw new Error(`--fault: '${fault}' is none of ${FAULTS.join(', ')}`);
  if (fault === 'restart-postgres' && engine !== 'postgres') throw new Error('--fault restart-postgres needs --engine postgres');
  const piWork = values['pi-work'] as PiSpec['piWork'];
  if (piWork !== 'real' && piWork !== 'replayed') throw new Error(`--pi-work: '${values['pi-work']}' is neither replayed nor real`);
  const clusters = num('clusters', true);
  if (!(num('starts-per-second', false) > 0)) throw new Error(`--starts-per-second: '${values['starts-per-second']}' is not above 0`);
  if (!(num('pi-pollers', true) > 0)) throw new Error(`--pi-pollers: '${values['pi-pollers']}' is not above 0`);
  return {
    piWork,
    trace: values.trace ?? false,
    driftSweep: values['drift-sweep'] ?? false,
    engine,
    fault,
    // Past the canary and well into the first wave after it: cluster activities are in flight when the fault lands.
    faultAfter: values['fault-after'] === undefined ? Math.max(2, Math.round(clusters * 0.3)) : num('fault-after', true),
    faultDownMs: num('fault-down-ms', true),
    clusters,
    failShare: num('fail', false),
    offlineShare: num('offline', false),
    pis: num('pis', true),
    seed: num('seed', true),
    pickupTimeoutSeconds: num('pickup-timeout', true),
    startsPerSecond: num('starts-per-second', false),
    piPollers: num('pi-pollers', true),
    driftSeconds: num('drift-seconds', true),
    // policies/limits.yaml `rollout:`; absent, the defaults.
    batching: {
      ...(values['batch-clusters'] === undefined ? {} : { batchClusters: num('batch-clusters', true) }),
      ...(values['batches-at-once'] === undefined ? {} : { batchesAtOnce: num('batches-at-once', true) }),
    },
  };
}

async function main(): Promise<void> {
  const o = options();
  const plan = planFleet({ ...o, canaryShare: 0.01 });
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const piWork = o.piWork === 'real' ? 'git, gates and render real on every Pi' : "one Pi per group and process runs git, gates and render, the others replay their measured latencies";
  say(`SIMULATION: ${o.clusters} simulated clusters (engine simulated from measured Compose latencies; Temporal and MongoDB real; ${piWork})`);
  const recorded = loadLatencies();
  say(`  latencies: ${recorded.runs} real reconciles on this machine (${recorded.recordedAt}), in a config of ${recorded.fleetClusters} clusters`);
  say(`  ${o.engine === 'postgres' ? "Temporal's own server and FerretDB on PostgreSQL" : 'the embedded dev server'}${o.fault ? `; fault ${o.fault} once ${o.faultAfter} clusters are healthy, down ${o.faultDownMs} ms` : ''}`);
  say(`  batching ${JSON.stringify(o.batching)} (policies/limits.yaml rollout:, {} = the defaults); drift sweeps every ${o.driftSeconds} s`);
  say(`  ${plan.failing.size} fail health, ${plan.offline.size} offline, ${o.pis} simulated-Pi processes; waves ${plan.waves.map((w) => `${w.name}(${plan.clusters.filter((c) => c.wave === w.name).length})`).join(', ')}`);

  Runtime.install({ logger: new DefaultLogger('WARN') });
  const offset = Number(process.env.LUCID_TEST_PORT_OFFSET ?? 0);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-bench-fleet-'));
  // The production server's membership ports (300 below the frontend's) must stay under Linux's ephemeral range (32768+).
  const temporalPort = (o.engine === 'postgres' ? 31233 : 37233) + offset;
  const stackOptions: StackOptions = {
    dataDir, namespace: 'lucid', engine: o.engine, postgresPort: 35432 + offset, temporalPort, mongoPort: 37017 + offset, registryPort: 37500 + offset, chainPort: 38545 + offset, workers: [],
  };
  const stack = await upStack(stackOptions).catch(async (err: unknown) => {
    // A half-started stack would hold its ports and fail the next run for a stale reason.
    await downStack(dataDir);
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw err;
  });
  const temporalPid = (await stackStatus(dataDir)).find((c) => c.name === 'temporal')?.pid;
  if (!temporalPid) {
    await downStack(dataDir);
    throw new Error(`the embedded Temporal server has no pid to measure (stack: ${JSON.stringify(await stackStatus(dataDir))})`);
  }
  const connection = await NativeConnection.connect({ address: stack.temporalAddress });
  const clientConnection = await Connection.connect({ address: stack.temporalAddress });
  const client = new Client({ connection: clientConnection, namespace: 'lucid' });
  const mongo = await new MongoClient(stack.mongoUrl).connect();
  const db = mongo.db('lucid_bench_fleet');
  const repo = await ConfigRepoWriter.open(path.join(dataDir, 'config.git'));
  const control = await createControlWorker({ connection, clientConnection, namespace: 'lucid', db, repo: { url: repo.bareDir, dataDir } });
  const reconcile = await createReconcileWorker({ connection, namespace: 'lucid' });
  const runningWorkers = [control.run(), reconcile.run()];
  const online = plan.clusters.filter((c) => !plan.offline.has(c.id)).map((c) => ({ id: c.id, group: c.group, fails: plan.failing.has(c.id) }));
  const fleetFiles = (version: 'v1' | 'v2') => {
    const files = sampleFleetFiles({ clusters: plan.clusters, waves: plan.waves, driftCheckSeconds: o.driftSeconds, version });
    // The inventory limits admit a fleet this size (policies/limits.yaml; defaults: 10,000 clusters, 1 MiB).
    const limits = {
      ...(o.clusters > 1000 ? { inventory: { maxClusters: Math.max(o.clusters, 10_000), maxBytes: 16 * MB } } : {}),
      ...(Object.keys(o.batching).length ? { rollout: o.batching } : {}),
    };
    if (Object.keys(limits).length) files['policies/limits.yaml'] = stringify(limits);
    return files;
  };
  // A fleet's Pis have cloned the repo long before a release: their mirrors start with the previous config.
  const previous = await repo.commit(fleetFiles('v1'), `simulated fleet of ${o.clusters}, previous release`, { replaceAll: true });
  const piBase = { temporalAddress: stack.temporalAddress, namespace: 'lucid', repoUrl: repo.bareDir, dataDir, piWork: o.piWork, warmCommit: previous, pollers: o.piPollers };
  const coming = performance.now();
  const pis = await startSimulatedPis(piBase, online, o.pis, o.seed, o.startsPerSecond);
  const cameSeconds = (performance.now() - coming) / 1000;
  try {
    const workers = pis.ready.reduce((n, r) => n + r.workers, 0);
    const grown = pis.ready.reduce((n, r) => n + r.rssAfterBytes - r.rssBeforeBytes, 0);
    say(
      `  ${workers} activity-only cluster workers in ${pis.ready.length} processes: ${(grown / workers / 1024).toFixed(0)} KiB RSS per worker; ` +
        `online in ${cameSeconds.toFixed(1)} s at ${o.startsPerSecond} a second, ${o.piPollers} long polls each`,
    );

    const before = procUsage(temporalPid);
    const ferretPid = (await stackStatus(dataDir)).find((c) => c.name === 'ferretdb')?.pid;
    const cpuBefore = { ferret: ferretPid ? procUsage(ferretPid).cpuSeconds : 0, host: process.cpuUsage(), pis: pis.cpuSeconds() };
    const docsBefore = await documents(db);
    const written0 = performance.now();
    const sha = await repo.commit(fleetFiles('v2'), `simulated fleet of ${o.clusters}`, { replaceAll: true });
    say(`  the release commit written in ${((performance.now() - written0) / 1000).toFixed(1)} s; the clock starts once it exists, as at a push`);
    const t0 = performance.now();
    const committedAt = Date.now();
    // A killed server's usage is its own up to the kill, then its successor's.
    let upToKill = { cpuSeconds: before.cpuSeconds, peakRssBytes: 0 };
    let faultRun: FaultRun | undefined;
    const status = o.fault
      ? (faultRun = await rolloutThroughFault({
          client, db, stack: stackOptions, commit: sha, fault: o.fault, afterHealthy: o.faultAfter, downMs: o.faultDownMs,
          beforeFault: () => (upToKill = procUsage(temporalPid)),
        })).status
      : await closedResult(await client.workflow.start<typeof rollout>('rollout', { taskQueue: CONTROL_QUEUE, workflowId: rolloutWorkflowId(sha), args: [{ commit: sha }] }));
    const seconds = (performance.now() - t0) / 1000;
    const host = process.cpuUsage(cpuBefore.host);
    const cpu = {
      ferret: ferretPid ? procUsage(ferretPid).cpuSeconds - cpuBefore.ferret : 0,
      host: (host.user + host.system) / 1e6,
      pis: pis.cpuSeconds() - cpuBefore.pis,
    };
    const temporalNow = (await stackStatus(dataDir)).find((c) => c.name === 'temporal')?.pid ?? temporalPid;
    const now = procUsage(temporalNow);
    const after = temporalNow === temporalPid
      ? now
      : { cpuSeconds: upToKill.cpuSeconds + now.cpuSeconds, peakRssBytes: Math.max(upToKill.peakRssBytes, now.peakRssBytes) };
    const outcomes: Record<string, number> = {};
    const times = await new ClusterStore(db).outcomeTimes();
    for (const r of times) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    const waveOf = new Map(plan.clusters.map((c) => [c.id, c.wave]));
    const spans = plan.waves.map((w) => {
      const rs = times.filter((r) => waveOf.get(r.clusterId) === w.name);
      if (rs.length === 0) return `${w.name} not run`;
      const ms = (xs: Date[]) => xs.map((d) => new Date(d).getTime());
      const slowest = Math.max(...rs.map((r) => new Date(r.endedAt).getTime() - new Date(r.startedAt).getTime()));
      return `${w.name} ${((Math.max(...ms(rs.map((r) => r.endedAt))) - Math.min(...ms(rs.map((r) => r.startedAt)))) / 1000).toFixed(1)} s (slowest reconcile ${(slowest / 1000).toFixed(1)} s)`;
    });
    const written = (await documents(db)) - docsBefore;

    let biggest = { id: '', events: 0, bytes: 0 };
    let count = 0;
    for await (const wf of client.workflow.list()) {
      count++;
      if ((wf.historyLength ?? 0) > biggest.events) biggest = { id: wf.workflowId, events: wf.historyLength, bytes: wf.historySize ?? 0 };
    }
    const history = await client.workflow.getHandle(biggest.id).fetchHistory();
    const encoded = temporal.api.history.v1.History.encode(history).finish().length;

    say(`RESULT (SIMULATION, ${o.clusters} clusters): rollout ${status.state} in ${seconds.toFixed(1)} s from commit; outcomes ${JSON.stringify(outcomes)}`);
    if (faultRun) {
      const f = faultRun;
      say(`  fault ${f.fault} at ${f.faultAtSeconds.toFixed(1)} s (${f.healthyAtFault} clusters healthy): server back after ${f.downtimeSeconds.toFixed(1)} s, next cluster healthy ${f.resumedAfterSeconds?.toFixed(1) ?? '-'} s after the fault`);
      say(`  runs of ${rolloutWorkflowId(sha)}: ${f.runs.join(', ')} (${f.runs.length === 1 && f.runs[0] === 'COMPLETED' ? 'finished without a re-trigger' : 'NOT one completed run'})`);
    }
    say(`  waves, first reconcile start to last end: ${spans.join(', ')}`);
    if (status.reasons.length) say(`  reasons: ${status.reasons.slice(0, 8).join('; ')}`);
    for (const r of (await new ClusterStore(db).list()).filter((c) => !plan.failing.has(c.id) && c.lastGoodCommit !== sha).slice(0, 5)) {
      const last = (await new ClusterStore(db).outcomes(r.id, 1))[0];
      say(`  unplanned: ${r.id} ${last?.outcome ?? 'no outcome'} ${last?.failure?.stage ?? ''} ${last?.failure?.reason ?? ''}`);
    }
    say(`  workflows: ${count}; biggest ${biggest.id}: ${biggest.events} events, ${encoded} bytes of history (server says ${biggest.bytes})`);
    say(`  Temporal server: ${(after.cpuSeconds - before.cpuSeconds).toFixed(1)} CPU s during the rollout, peak RSS ${(after.peakRssBytes / MB).toFixed(0)} MiB`);
    const temporalCpu = after.cpuSeconds - before.cpuSeconds;
    say(
      `  CPU during the rollout (${os.cpus().length} cores x ${seconds.toFixed(1)} s = ${(os.cpus().length * seconds).toFixed(0)} s): ` +
        `Temporal ${temporalCpu.toFixed(1)} s, FerretDB ${cpu.ferret.toFixed(1)} s, control workers ${cpu.host.toFixed(1)} s, ` +
        `simulated Pis ${cpu.pis.toFixed(1)} s`,
    );
    say(`  MongoDB: ${written} documents written, ${(written / o.clusters).toFixed(2)} per cluster`);
    say(`  simulated-Pi processes peak RSS: ${pis.peakRss().map((b) => `${(b / MB).toFixed(0)} MiB`).join(', ')}`);
    if (o.trace) await printControlTimeline(client, committedAt, say);
    if (o.driftSweep) await measureDriftSweep(client, temporalNow, say);
  } finally {
    await pis.stop();
    control.shutdown();
    reconcile.shutdown();
    await Promise.all(runningWorkers);
    await mongo.close();
    await connection.close();
    await clientConnection.close();
    await downStack(dataDir);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * The rollout's result once it has closed. Waiting for a result is a long poll, and a fleet's Pis can fill the
 * server's long-poll limit per namespace ("namespace concurrent poller limit exceeded" at 10,000): a refused wait
 * would end the bench for a reason that is not the rollout's, so it waits by describing, which is not a long poll.
 */
async function closedResult(handle: WorkflowHandle<typeof rollout>): Promise<RolloutStatus> {
  for (;;) {
    const status = await handle.describe().then((d) => d.status.name, () => 'UNKNOWN');
    if (status !== 'RUNNING' && status !== 'UNKNOWN') return handle.result();
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

/**
 * --trace: where the time from commit went on the control side. The rollout, its wave workflows and the
 * first batch of each, each control activity's (and each slow workflow task's) wait and run in ms after the commit.
 */
async function printControlTimeline(client: Client, committedAt: number, say: (line: string) => void): Promise<void> {
  const runs = [];
  // The first batch of each step stands for the others: its control activities, not its clusters' applyCommits.
  for await (const wf of client.workflow.list()) if (!wf.workflowId.includes('-batch-') || wf.workflowId.endsWith('-batch-0')) runs.push(wf);
  runs.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
  for (const wf of runs) {
    const started = wf.startTime.getTime() - committedAt;
    const closed = wf.closeTime ? wf.closeTime.getTime() - committedAt : undefined;
    say(`  trace ${wf.workflowId}: started ${started} ms, closed ${closed ?? '-'} ms after the commit`);
    const history = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    // Workflow tasks only where one took long enough to matter: a slow one is a worker's or the server's queue.
    const spans = traceHistory(history.events ?? []).filter(
      (sp) => sp.name !== 'applyCommit' && (sp.name !== 'workflow task' || (sp.closed ?? Infinity) - sp.scheduled > 500),
    );
    const shift = (at: number | undefined) => (at === undefined ? undefined : at + started);
    const shifted = spans.map((sp) => ({ ...sp, scheduled: sp.scheduled + started, started: shift(sp.started), closed: shift(sp.closed) }));
    const lines = formatTrace(shifted, 0);
    say(lines.split('\n').slice(0, -1).join('\n'));
  }
}

/** Every document of every collection of the bench's database. */
async function documents(db: Db): Promise<number> {
  let n = 0;
  for (const c of await db.listCollections().toArray()) n += await db.collection(c.name).countDocuments();
  return n;
}

main().then(
  // After a 10,000-cluster run a handle of the native runtime outlived every worker and connection, and the
  // process never ended once its result was printed and its servers were down.
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
