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
  clusters: z.array(z.object({ id: z.string(), group: z.string(), fails: z.boolean() })).min(1),
});
export type PiSpec = z.infer<typeof piSpecSchema>;

/** What it reports back once every worker polls. */
export interface PiReady {
  workers: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
}

/**
 * One simulated-Pi process: many activity-only cluster workers on one
 * connection, each with a simulated engine instead of Docker. The git fetch,
 * gates and render around the engine are the real ones for every cluster
 * (piWork real) or for the first cluster of each group, the others replaying
 * measured latencies with its outcome (piWork replayed).
 */
async function main(): Promise<void> {
  const spec = piSpecSchema.parse(JSON.parse(process.env.LUCID_SIM_PI ?? '{}'));
  // ERROR: each of hundreds of activity-only workers would warn that it polls no workflow tasks, as it should not.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const latencies = loadLatencies();
  const connection = await NativeConnection.connect({ address: spec.temporalAddress });
  global.gc?.();
  const rssBeforeBytes = process.memoryUsage().rss;
  const workers: Worker[] = [];
  const templates = new Map<string, CommitPreparer>();
  for (const [i, c] of spec.clusters.entries()) {
    const random = seededRandom(spec.seed + i);
    const engine = simulatedEngine({ latencies, random, failsUnder: () => c.fails });
    const { namespace, repoUrl, dataDir } = spec;
    const stateDir = path.join(dataDir, 'clusters', c.id);
    let preparer: CommitPreparer | undefined;
    if (spec.piWork === 'replayed') {
      const template = templates.get(c.group);
      if (template) preparer = replayedPreparer({ template, stateDir, latencies, random });
      else {
        preparer = sharedPerCommit(gitCommitPreparer({ clusterId: c.id, repoUrl, stateDir, engine, secretsRoot: DEFAULT_SECRETS_ROOT }));
        templates.set(c.group, preparer);
      }
    }
    workers.push(await createClusterWorker({ connection, namespace, clusterId: c.id, repoUrl, dataDir, engine, preparer, activityPollers: 1 }));
  }
  const running = workers.map((w) => w.run());
  global.gc?.();
  const ready: PiReady = { workers: workers.length, rssBeforeBytes, rssAfterBytes: process.memoryUsage().rss };
  process.send?.({ ready });
  process.on('message', (m: { stop?: boolean }) => {
    if (m.stop) for (const w of workers) w.shutdown();
  });
  await Promise.all(running);
  await connection.close();
}

main().catch((err: Error) => {
  process.stderr.write(`simulated Pi: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
