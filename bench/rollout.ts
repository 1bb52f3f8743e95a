import * as path from 'node:path';
import { sampleFleetFiles, type SampleCluster } from '../demo/sample-fleet';
import type { rollout } from '../workflows';
import type { RolloutStatus } from '../workflows/rollout-types';
import { CONTROL_QUEUE, rolloutWorkflowId } from '../workflows/task-queues';
import { benchFleet, median } from './bench-fleet';
import { formatTraceTree } from './history-trace';

/**
 * bench:rollout: a commit rolled out to a 3-cluster, 2-wave fleet until every
 * cluster is healthy, against bare `docker compose up -d` of the same three
 * projects one after another; then the time from a broken commit to its
 * rollout halted with the first wave rolled back. BENCH_TRACE=1 prints each
 * round's activities and workflow tasks, its child workflows' below it.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const TRACE = process.env.BENCH_TRACE === '1';
const CLUSTERS: SampleCluster[] = [
  { id: 'bm-a', group: 'blockchain', profiles: ['blockchain'], wave: 'canary' },
  { id: 'bm-b', group: 'sessions', profiles: ['sessions'], wave: 'canary' },
  { id: 'bm-c', group: 'blockchain', profiles: ['blockchain'], wave: 'core' },
];
const SERVICES: Record<string, number> = { 'bm-a': 3, 'bm-b': 2, 'bm-c': 3 };
const bare = (id: string) => `bare-${id}`;

async function main(): Promise<void> {
  const fleet = await benchFleet(CLUSTERS);
  const run = (sha: string) =>
    fleet.client.workflow.execute<typeof rollout>('rollout', { taskQueue: CONTROL_QUEUE, workflowId: rolloutWorkflowId(sha), args: [{ commit: sha }] });
  const lucidMs: number[] = [];
  const bareUpMs: number[] = [];
  const bareHealthyMs: number[] = [];
  let rollbackMs = 0;
  try {
    for (let i = 0; i < ROUNDS + 1; i++) {
      const version = i % 2 === 0 ? 'v1' : 'v2';
      const sha = await fleet.repo.commit(sampleFleetFiles({ clusters: CLUSTERS, version }), `bench round ${i}`, { replaceAll: true });
      let t = performance.now();
      const status: RolloutStatus = await run(sha);
      const lucid = performance.now() - t;
      if (status.state !== 'succeeded') throw new Error(`round ${i}: ${status.state} ${status.reasons.join('; ')}`);

      t = performance.now();
      for (const c of CLUSTERS) await fleet.bareUp(bare(c.id), c, path.join(fleet.dataDir, 'clusters', c.id, 'trees', sha));
      const up = performance.now() - t;
      for (const c of CLUSTERS) await fleet.untilHealthy(bare(c.id), SERVICES[c.id]!);
      const healthy = performance.now() - t;
      if (i === 0) continue;
      lucidMs.push(lucid);
      bareUpMs.push(up);
      bareHealthyMs.push(healthy);
      process.stderr.write(`round ${i} (${version}): rollout ${lucid.toFixed(0)} ms, bare up -d x3 ${up.toFixed(0)} ms, bare up+healthy x3 ${healthy.toFixed(0)} ms\n`);
      if (TRACE) process.stderr.write(`${await formatTraceTree(fleet.client, rolloutWorkflowId(sha), lucid)}\n`);
    }

    const bad = await fleet.repo.commit(sampleFleetFiles({ clusters: CLUSTERS, version: 'v2', failing: ['sessions-gateway'] }), 'bench: broken gateway', { replaceAll: true });
    const t = performance.now();
    const halted = await run(bad);
    if (halted.state !== 'halted') throw new Error(`the broken commit ended ${halted.state}`);
    // The broken cluster rolls itself back inside its apply; the wave then reverts the rest: all of it, as the operator waits.
    rollbackMs = Math.round(performance.now() - t);
  } finally {
    await fleet.close(CLUSTERS.map((c) => bare(c.id)));
  }
  const l = median(lucidMs);
  const u = median(bareUpMs);
  const hb = median(bareHealthyMs);
  process.stdout.write(
    [
      `bench:rollout (${ROUNDS} rounds, 3 clusters in 2 waves, 8 services, medians)`,
      `  lucid rollout: commit -> every wave healthy     ${l.toFixed(0)} ms`,
      `  bare docker compose up -d, 3 projects in turn   ${u.toFixed(0)} ms   ratio ${(l / u).toFixed(2)}`,
      `  bare up -d + healthy, 3 projects in turn        ${hb.toFixed(0)} ms   ratio ${(l / hb).toFixed(2)}`,
      `  broken commit -> halted, wave rolled back       ${rollbackMs} ms`,
      '',
    ].join('\n'),
  );
}

main().catch((err: Error) => {
  process.stderr.write(`bench:rollout: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
