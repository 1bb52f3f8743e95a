import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import Docker from 'dockerode';
import { stringify } from 'yaml';
import { createClusterActivities } from '../../activities/cluster/cluster-activities';
import type { ClusterEngine } from '../../compose/cluster-engine';
import { composeEngine } from '../../compose/compose-engine';
import { ConfigRepoWriter } from '../../demo/config-repo-writer';
import { ensureDemoImages } from '../../demo/demo-images';
import { sampleFleetFiles, type SampleCluster } from '../../demo/sample-fleet';
import { planFleet } from './fleet-plan';
import { LATENCIES_FILE, RECORDED_STEPS, latenciesSchema, type Latencies, type RecordedStep } from './latency-sampling';

/**
 * bench:record-latencies: the demo clusters reconciled for real (git fetch,
 * gates and render, `up -d`, health wait, plane probe, `down`) through the
 * cluster activities, each step timed, written as bench/sim/latencies.json
 * for the simulated engine and the replayed Pi work to replay.
 */
const RUNS = Number(process.env.RECORD_RUNS ?? 4);
/**
 * How many clusters the recorded config lists: every Pi validates the whole fleet's config, so fetch and prepare
 * grow with it. The two real clusters are reconciled; the others are only in the config, as a fleet's would be.
 */
const FLEET_CLUSTERS = Number(process.env.RECORD_FLEET_CLUSTERS ?? 1000);
const CLUSTERS: SampleCluster[] = [
  { id: 'lat-bc', group: 'blockchain', profiles: ['blockchain'], wave: 'canary' },
  { id: 'lat-ss', group: 'sessions', profiles: ['sessions'], wave: 'core' },
];

type Samples = Record<RecordedStep, number[]>;

async function time<T>(samples: Samples, step: RecordedStep, run: () => Promise<T>): Promise<T> {
  const t = performance.now();
  const out = await run();
  samples[step].push(Math.round(performance.now() - t));
  return out;
}

function timed(engine: ClusterEngine, samples: Samples): ClusterEngine {
  return {
    resolveProject: (src) => time(samples, 'resolve', () => engine.resolveProject(src)),
    up: (file, opts) => time(samples, 'up', () => engine.up(file, opts)),
    services: () => engine.services(),
    waitHealthy: (services, timeoutMs, onPoll) => time(samples, 'healthy', () => engine.waitHealthy(services, timeoutMs, onPoll)),
    probePlanes: (opts) => time(samples, 'probe', () => engine.probePlanes(opts)),
    down: () => time(samples, 'down', () => engine.down()),
  };
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-latencies-'));
  const docker = new Docker();
  await ensureDemoImages(docker);
  const repo = await ConfigRepoWriter.open(path.join(dataDir, 'config.git'));
  const samples = Object.fromEntries(RECORDED_STEPS.map((s) => [s, [] as number[]])) as Samples;
  const env = new MockActivityEnvironment();
  const call = <A extends unknown[], R>(fn: (...a: A) => Promise<R>, ...a: A) => env.run(fn, ...a) as Promise<R>;
  const engines = CLUSTERS.map((c) => timed(composeEngine({ docker, clusterId: c.id }), samples));
  const others = FLEET_CLUSTERS - CLUSTERS.length;
  const paperPlan = { clusters: others, canaryShare: 0, failShare: 0, offlineShare: 0, seed: 1, pickupTimeoutSeconds: 60 };
  const paper = others > 0 ? planFleet(paperPlan).clusters : [];
  const fleet = [...CLUSTERS, ...paper.map((c) => ({ ...c, wave: CLUSTERS[1]!.wave }))];
  try {
    for (let run = 0; run < RUNS; run++) {
      const files = sampleFleetFiles({ clusters: fleet, version: run % 2 ? 'v2' : 'v1' });
      if (fleet.length > 1000) files['policies/limits.yaml'] = stringify({ inventory: { maxClusters: fleet.length, maxBytes: 64 * 1024 * 1024 } });
      const commit = await repo.commit(files, `latencies run ${run}`, { replaceAll: true });
      for (const [i, c] of CLUSTERS.entries()) {
        const acts = createClusterActivities({ clusterId: c.id, repoUrl: repo.bareDir, stateDir: path.join(dataDir, c.id), engine: engines[i]! });
        await time(samples, 'fetch', () => call(acts.fetchCommit, { commit }));
        // Prepare's time includes the engine's render ('resolve'), as the replayed Pi work's does.
        const services = await time(samples, 'prepare', () => call(acts.prepareCommit, { commit }));
        await call(acts.composeUp, { commit });
        const health = await call(acts.waitHealthy, { services, timeoutSeconds: 120 });
        if (!health.healthy) throw new Error(`cluster ${c.id}, commit ${commit}: not healthy: ${JSON.stringify(health.failure)}`);
        await call(acts.probePlanes);
        await engines[i]!.down();
        process.stderr.write(`run ${run} ${c.id}: ${RECORDED_STEPS.map((s) => `${s} ${samples[s].at(-1)} ms`).join(', ')}\n`);
      }
    }
  } finally {
    for (const e of engines) await e.down().catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  const cpus = os.cpus();
  const out: Latencies = latenciesSchema.parse({
    recordedAt: new Date().toISOString(),
    host: { cpus: cpus.length, model: cpus[0]?.model ?? 'unknown' },
    runs: RUNS * CLUSTERS.length,
    fleetClusters: fleet.length,
    samplesMs: samples,
  });
  fs.writeFileSync(LATENCIES_FILE, `${JSON.stringify(out, null, 2)}\n`);
  process.stdout.write(`wrote ${LATENCIES_FILE}: ${out.runs} real reconciles in a config of ${fleet.length} clusters\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`);
  process.exit(1);
});
