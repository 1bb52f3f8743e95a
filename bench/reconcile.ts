import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, type Worker } from '@temporalio/worker';
import Docker from 'dockerode';
import { MongoClient } from 'mongodb';
import { runCompose } from '../activities/cluster/compose-cli';
import { projectName } from '../activities/cluster/compose-labels';
import { ConfigRepoWriter } from '../compose/config-repo-writer';
import { ensureDemoImages } from '../compose/demo-images';
import { sampleFleetFiles, type SampleCluster } from '../compose/sample-fleet';
import { downStack, upStack } from '../services/stack/embedded-stack';
import { createClusterWorker } from '../workers/cluster';
import { createControlWorker } from '../workers/control';
import type { reconcileCluster } from '../workflows';
import { clusterQueue, reconcileWorkflowId } from '../workflows/task-queues';

/**
 * bench:reconcile: a commit accepted by Lucid until every service is healthy,
 * against a bare `docker compose up -d` of the same project (and the same plus
 * waiting for health), alternating v1/v2 so every round recreates containers.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const CLUSTER: SampleCluster = { id: 'bench-bc', group: 'blockchain', profiles: ['blockchain'], wave: 'canary' };
const BARE = 'bench-bare';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-bench-'));
  const docker = new Docker();
  await ensureDemoImages(docker);
  const stack = await upStack({ dataDir, namespace: 'lucid', temporalPort: 37233, mongoPort: 37017, workers: [] });
  const repo = await ConfigRepoWriter.open(path.join(dataDir, 'config.git'));
  const connection = await NativeConnection.connect({ address: stack.temporalAddress });
  const clientConnection = await Connection.connect({ address: stack.temporalAddress });
  const client = new Client({ connection: clientConnection, namespace: 'lucid' });
  const mongo = await new MongoClient(stack.mongoUrl).connect();
  const workers: Worker[] = [
    await createControlWorker({ connection, clientConnection, namespace: 'lucid', db: mongo.db('lucid_bench') }),
    await createClusterWorker({ connection, namespace: 'lucid', clusterId: CLUSTER.id, repoUrl: repo.bareDir, dataDir, docker }),
  ];
  const running = workers.map((w) => w.run());
  const lucidMs: number[] = [];
  const bareUpMs: number[] = [];
  const bareHealthyMs: number[] = [];
  try {
    for (let i = 0; i < ROUNDS + 1; i++) {
      const version = i % 2 === 0 ? 'v1' : 'v2';
      const files = sampleFleetFiles({ clusters: [CLUSTER], version });
      const sha = await repo.commit(files, `bench round ${i}`, { replaceAll: true });

      let t = performance.now();
      const result = await client.workflow.execute<typeof reconcileCluster>('reconcileCluster', {
        taskQueue: clusterQueue(CLUSTER.id),
        workflowId: reconcileWorkflowId(CLUSTER.id, sha),
        args: [{ clusterId: CLUSTER.id, commit: sha }],
      });
      const lucid = performance.now() - t;
      if (result.outcome !== 'healthy') throw new Error(`round ${i}: ${result.outcome}`);

      const tree = path.join(dataDir, 'clusters', CLUSTER.id, 'trees', sha);
      t = performance.now();
      await runCompose(
        ['-p', BARE, '-f', path.join(tree, 'compose/docker-compose.yml'), '--env-file', path.join(tree, `clusters/${CLUSTER.id}/.env`), '--profile', 'blockchain', 'up', '-d', '--remove-orphans'],
        { cwd: tree },
      );
      const up = performance.now() - t;
      await waitBareHealthy(docker, ['beta', 'blockchain-core', 'blockchain-ledger']);
      const healthy = performance.now() - t;
      // The first round creates everything from nothing; later rounds are the steady state measured.
      if (i === 0) continue;
      lucidMs.push(lucid);
      bareUpMs.push(up);
      bareHealthyMs.push(healthy);
      process.stderr.write(`round ${i} (${version}): lucid ${lucid.toFixed(0)} ms, bare up -d ${up.toFixed(0)} ms, bare up+healthy ${healthy.toFixed(0)} ms\n`);
    }
  } finally {
    for (const w of workers) w.shutdown();
    await Promise.all(running);
    await runCompose(['-p', projectName(CLUSTER.id), 'down', '-v', '--timeout', '1']).catch(() => undefined);
    await runCompose(['-p', BARE, 'down', '-v', '--timeout', '1']).catch(() => undefined);
    await mongo.close();
    await connection.close();
    await client.connection.close();
    await downStack(dataDir);
    fs.rmSync(dataDir, { recursive: true, force: true });
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

async function waitBareHealthy(docker: Docker, services: string[]): Promise<void> {
  for (;;) {
    const list = await docker.listContainers({ filters: { label: [`com.docker.compose.project=${BARE}`] } });
    const ok = services.every((s) => list.find((c) => c.Labels['com.docker.compose.service'] === s)?.Status.includes('(healthy)'));
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench:reconcile: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
