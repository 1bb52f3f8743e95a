import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { z } from 'zod';
import { createClusterWorker } from '../../workers/cluster';
import { loadLatencies, seededRandom } from './latency-sampling';
import { simulatedEngine } from './simulated-engine';

/** What the bench hands one simulated-Pi process (as JSON in LUCID_SIM_PI). */
export const piSpecSchema = z.object({
  temporalAddress: z.string(),
  namespace: z.string(),
  repoUrl: z.string(),
  dataDir: z.string(),
  seed: z.number().int(),
  clusters: z.array(z.object({ id: z.string(), fails: z.boolean() })).min(1),
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
 * connection, each with a simulated engine instead of Docker; the git fetch,
 * gates and render around the engine are the real cluster activities.
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
  for (const [i, c] of spec.clusters.entries()) {
    const engine = simulatedEngine({ latencies, random: seededRandom(spec.seed + i), failsUnder: () => c.fails });
    const { namespace, repoUrl, dataDir } = spec;
    workers.push(await createClusterWorker({ connection, namespace, clusterId: c.id, repoUrl, dataDir, engine, activityPollers: 1 }));
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
