import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import Docker from 'dockerode';
import { createClusterActivities } from '../../activities/cluster/cluster-activities';
import type { ClusterEngine } from '../../compose/cluster-engine';
import { composeEngine } from '../../compose/compose-engine';
import { ConfigRepoWriter } from '../../demo/config-repo-writer';
import { ensureDemoImages } from '../../demo/demo-images';
import { sampleFleetFiles, type SampleCluster } from '../../demo/sample-fleet';
import { ENGINE_STEPS, LATENCIES_FILE, latenciesSchema, type EngineStep, type Latencies } from './latency-sampling';

/**
 * bench:record-latencies: the demo clusters reconciled for real (render,
 * `up -d`, health wait, plane probe, `down`) through the cluster activities,
 * each Compose step timed, written as bench/sim/latencies.json for the
 * simulated engine to replay.
 */
const RUNS = Number(process.env.RECORD_RUNS ?? 4);
const CLUSTERS: SampleCluster[] = [
  { id: 'lat-bc', group: 'blockchain', profiles: ['blockchain'], wave: 'canary' },
  { id: 'lat-ss', group: 'sessions', profiles: ['sessions'], wave: 'core' },
];

function timed(engine: ClusterEngine, samples: Record<EngineStep, number[]>): ClusterEngine {
  const time = async <T>(step: EngineStep, run: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    const out = await run();
    samples[step].push(Math.round(performance.now() - t));
    return out;
  };
  return {
    resolveProject: (src) => time('resolve', () => engine.resolveProject(src)),
    up: (file, opts) => time('up', () => engine.up(file, opts)),
    services: () => engine.services(),
    waitHealthy: (services, timeoutMs, onPoll) => time('healthy', () => engine.waitHealthy(services, timeoutMs, onPoll)),
    probePlanes: () => time('probe', () => engine.probePlanes()),
    down: () => time('down', () => engine.down()),
  };
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-latencies-'));
  const docker = new Docker();
  await ensureDemoImages(docker);
  const repo = await ConfigRepoWriter.open(path.join(dataDir, 'config.git'));
  const samples = Object.fromEntries(ENGINE_STEPS.map((s) => [s, [] as number[]])) as Record<EngineStep, number[]>;
  const env = new MockActivityEnvironment();
  const call = <A extends unknown[], R>(fn: (...a: A) => Promise<R>, ...a: A) => env.run(fn, ...a) as Promise<R>;
  const engines = CLUSTERS.map((c) => timed(composeEngine({ docker, clusterId: c.id }), samples));
  try {
    for (let run = 0; run < RUNS; run++) {
      const commit = await repo.commit(sampleFleetFiles({ clusters: CLUSTERS, version: run % 2 ? 'v2' : 'v1' }), `latencies run ${run}`, { replaceAll: true });
      for (const [i, c] of CLUSTERS.entries()) {
        const acts = createClusterActivities({ clusterId: c.id, repoUrl: repo.bareDir, stateDir: path.join(dataDir, c.id), engine: engines[i]! });
        await call(acts.fetchCommit, { commit });
        const services = await call(acts.prepareCommit, { commit });
        await call(acts.composeUp, { commit });
        const health = await call(acts.waitHealthy, { services, timeoutSeconds: 120 });
        if (!health.healthy) throw new Error(`cluster ${c.id}, commit ${commit}: not healthy: ${JSON.stringify(health.failure)}`);
        await call(acts.probePlanes);
        await engines[i]!.down();
        process.stderr.write(`run ${run} ${c.id}: ${ENGINE_STEPS.map((s) => `${s} ${samples[s].at(-1)} ms`).join(', ')}\n`);
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
    samplesMs: samples,
  });
  fs.writeFileSync(LATENCIES_FILE, `${JSON.stringify(out, null, 2)}\n`);
  process.stdout.write(`wrote ${LATENCIES_FILE}: ${out.runs} real reconciles\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`);
  process.exit(1);
});
