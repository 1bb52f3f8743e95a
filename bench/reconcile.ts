import * as path from 'node:path';
import { sampleFleetFiles, type SampleCluster } from '../demo/sample-fleet';
import type { reconcileCluster } from '../workflows';
import { RECONCILE_QUEUE, reconcileWorkflowId } from '../workflows/task-queues';
import { benchFleet, median } from './bench-fleet';

/**
 * bench:reconcile: a commit accepted by Lucid until every service is healthy,
 * against a bare `docker compose up -d` of the same project (and the same plus
 * waiting for health), alternating v1/v2 so every round recreates containers.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const CLUSTER: SampleCluster = { id: 'bench-bc', group: 'blockchain', profiles: ['blockchain'], wave: 'canary' };
const BARE = 'bench-bare';

async function main(): Promise<void> {
  const fleet = await benchFleet([CLUSTER]);
  const lucidMs: number[] = [];
  const bareUpMs: number[] = [];
  const bareHealthyMs: number[] = [];
  try {
    for (let i = 0; i < ROUNDS + 1; i++) {
      const version = i % 2 === 0 ? 'v1' : 'v2';
      const sha = await fleet.repo.commit(sampleFleetFiles({ clusters: [CLUSTER], version }), `bench round ${i}`, { replaceAll: true });

      let t = performance.now();
      const result = await fleet.client.workflow.execute<typeof reconcileCluster>('reconcileCluster', {
        taskQueue: RECONCILE_QUEUE,
        workflowId: reconcileWorkflowId(CLUSTER.id, sha),
        args: [{ clusterId: CLUSTER.id, commit: sha }],
      });
      const lucid = performance.now() - t;
      if (result.outcome !== 'healthy') throw new Error(`round ${i}: ${result.outcome}`);

      t = performance.now();
      await fleet.bareUp(BARE, CLUSTER, path.join(fleet.dataDir, 'clusters', CLUSTER.id, 'trees', sha));
      const up = performance.now() - t;
      await fleet.untilHealthy(BARE, 3);
      const healthy = performance.now() - t;
      // Round 0 creates everything from nothing; the steady state is what is measured.
      if (i === 0) continue;
      lucidMs.push(lucid);
      bareUpMs.push(up);
      bareHealthyMs.push(healthy);
      process.stderr.write(`round ${i} (${version}): lucid ${lucid.toFixed(0)} ms, bare up -d ${up.toFixed(0)} ms, bare up+healthy ${healthy.toFixed(0)} ms\n`);
    }
  } finally {
    await fleet.close([BARE]);
  }
  const l = median(lucidMs);
  const u = median(bareUpMs);
  const hb = median(bareHealthyMs);
  process.stdout.write(
    [
      `bench:reconcile (${ROUNDS} rounds, 3 services, medians)`,
      `  lucid: commit accepted -> all healthy   ${l.toFixed(0)} ms`,
      `  bare docker compose up -d                ${u.toFixed(0)} ms   ratio lucid/bare ${(l / u).toFixed(2)}`,
      `  bare up -d + wait until healthy          ${hb.toFixed(0)} ms   ratio lucid/bare+health ${(l / hb).toFixed(2)}`,
      '',
    ].join('\n'),
  );
}

main().catch((err: Error) => {
  process.stderr.write(`bench:reconcile: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
