import * as path from 'node:path';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { z } from 'zod';
import { type CommitPreparer, DEFAULT_SECRETS_ROOT, gitCommitPreparer } from '../../activities/cluster/commit-preparer';
import { createClusterWorker } from '../../workers/cluster';
import { loadLatencies, seededRandom } from './latency-sampling';
import { replayedPreparer, sharedPerCommit } from './replayed-preparer';
import { simulatedEngine } from './simulated-engine';

/** What the bench hands one simulated-Pi process (as JSON in LUCID_SIM_PI). */
export const piSpecSchema = z.object({
  temporalAddress: z.string(),
  namespace: z.string(),
  repoUrl: z.string(),
  dataDir: z.string(),
  seed: z.number().int(),
  /** real: every cluster fetches and runs the gates itself; replayed: one per group does, the others replay measured latencies. */
  piWork: z.enum(['real', 'replayed']),
  /** A commit every Pi (every group's real one, when replayed) fetches before it reports ready, as a fleet's mirrors hold. */
  warmCommit: z.string().optional(),
  clusters: z.array(z.object({ id: z.string(), group: z.string(), fails: z.boolean() })).min(1),
  /** Long polls each simulated Pi holds on its queue; absent, a real Pi's (CLUSTER_ACTIVITY_POLLERS). */
  pollers: z.number().int().positive().optional(),
  /** How many of its workers this process starts polling a second: Pis come online over time, not in one instant. */
  startsPerSecond: z.number().positive(),
});
export type PiSpec = z.infer<typeof piSpecSchema>;

/**
 * Simulated Pis sharing one connection. A real Pi holds its own; at 1,250 long polls on one HTTP/2 connection
 * the client's h2 library reset the connection ("too_many_internal_resets") and every poll on it retried at once.
 */
const PIS_PER_CONNECTION = 100;

/** What it reports back once every worker polls. */
export interface PiReady {
  workers: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
}

/**
 * One simulated-Pi process: many activity-only cluster workers on a few
 * connections, each with a simulated engine instead of Docker. The git fetch,
 * gates and render around the engine are the real ones for every cluster
 * (piWork real) or for the first cluster of each group, the others replaying
 * measured latencies with its outcome (piWork replayed).
 */
async function main(): Promise<void> {
  const spec = piSpecSchema.parse(JSON.parse(process.env.LUCID_SIM_PI ?? '{}'));
  // ERROR: each of hundreds of activity-only workers would warn that it polls no workflow tasks, as it should not.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const latencies = loadLatencies();
  const connections: NativeConnection[] = [];
  global.gc?.();
  const rssBeforeBytes = process.memoryUsage().rss;
  const workers: Worker[] = [];
  const templates = new Map<string, CommitPreparer>();
  /** The preparers that do real git work: each cluster's (real), each group's first (replayed). */
  const realOnes: CommitPreparer[] = [];
  for (const [i, c] of spec.clusters.entries()) {
    const random = seededRandom(spec.seed + i);
    const engine = simulatedEngine({ latencies, random, failsUnder: () => c.fails });
    const { namespace, repoUrl, dataDir } = spec;
    const stateDir = path.join(dataDir, 'clusters', c.id);
    const template = spec.piWork === 'replayed' ? templates.get(c.group) : undefined;
    let preparer: CommitPreparer;
    if (template) preparer = replayedPreparer({ template, stateDir, latencies, random });
    else {
      preparer = gitCommitPreparer({ clusterId: c.id, repoUrl, stateDir, engine, secretsRoot: DEFAULT_SECRETS_ROOT });
      if (spec.piWork === 'replayed') templates.set(c.group, (preparer = sharedPerCommit(preparer)));
      realOnes.push(preparer);
    }
    if (i % PIS_PER_CONNECTION === 0) connections.push(await NativeConnection.connect({ address: spec.temporalAddress }));
    const connection = connections[connections.length - 1];
    const activityPollers = spec.pollers;
    workers.push(await createClusterWorker({ connection, namespace, clusterId: c.id, repoUrl, dataDir, engine, preparer, activityPollers }));
  }
  if (spec.warmCommit) for (const p of realOnes) await p.fetch(spec.warmCommit);
  const running: Promise<void>[] = [];
  // Every worker's first poll creates its task queue on the server: ten thousand at once time out in its store,
  // are retried, and pile up past the namespace's long-poll limit.
  const tick = 100;
  const perTick = Math.max(1, Math.round((spec.startsPerSecond * tick) / 1000));
  for (let i = 0; i < workers.length; i += perTick) {
    running.push(...workers.slice(i, i + perTick).map((w) => w.run()));
    if (i + perTick < workers.length) await new Promise((r) => setTimeout(r, tick));
  }
  global.gc?.();
  const ready: PiReady = { workers: workers.length, rssBeforeBytes, rssAfterBytes: process.memoryUsage().rss };
  process.send?.({ ready });
  process.on('message', (m: { stop?: boolean }) => {
    if (m.stop) for (const w of workers) w.shutdown();
  });
  await Promise.all(running);
  await Promise.all(connections.map((c) => c.close()));
}

main().catch((err: Error) => {
  process.stderr.write(`simulated Pi: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
