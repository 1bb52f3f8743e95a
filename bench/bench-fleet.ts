import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import Docker from 'dockerode';
import { MongoClient } from 'mongodb';
import { runCompose } from '../compose/compose-cli';
import { projectName } from '../compose/compose-labels';
import { ConfigRepoWriter } from '../demo/config-repo-writer';
import { ensureDemoImages } from '../demo/demo-images';
import type { SampleCluster } from '../demo/sample-fleet';
import { downStack, upStack } from '../services/stack/embedded-stack';
import { createClusterWorker } from '../workers/cluster';
import { createControlWorker } from '../workers/control';
import { createReconcileWorker } from '../workers/reconcile';
import { composeChecked } from './compose-checked';

const BENCH_DB = 'lucid_bench';

/** A throwaway fleet for a benchmark: its own Temporal, FerretDB, config repo and in-process workers. */
export async function benchFleet(clusters: SampleCluster[]) {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-bench-'));
  const docker = new Docker();
  await ensureDemoImages(docker);
  // Two checkouts can bench at once on ports apart, as their test suites do.
  const offset = Number(process.env.LUCID_TEST_PORT_OFFSET ?? 0);
  const stack = await upStack({
    dataDir, namespace: 'lucid', temporalPort: 37233 + offset, mongoPort: 37017 + offset, registryPort: 37500 + offset, chainPort: 38545 + offset, workers: [],
  });
  const repo = await ConfigRepoWriter.open(path.join(dataDir, 'config.git'));
  const connection = await NativeConnection.connect({ address: stack.temporalAddress });
  const clientConnection = await Connection.connect({ address: stack.temporalAddress });
  const client = new Client({ connection: clientConnection, namespace: 'lucid' });
  const mongo = await new MongoClient(stack.mongoUrl).connect();
  const workers: Worker[] = [
    await createControlWorker({ connection, clientConnection, namespace: 'lucid', db: mongo.db(BENCH_DB), repo: { url: repo.bareDir, dataDir } }),
    await createReconcileWorker({ connection, namespace: 'lucid' }),
    ...(await Promise.all(
      clusters.map((c) => createClusterWorker({ connection, namespace: 'lucid', clusterId: c.id, repoUrl: repo.bareDir, dataDir, docker })),
    )),
  ];
  const running = workers.map((w) => w.run());

  return {
    dataDir,
    /** Where a separate process (the CLI) reaches this fleet's stack. */
    stack: { temporalAddress: stack.temporalAddress, mongoUrl: stack.mongoUrl, namespace: 'lucid', db: BENCH_DB },
    docker,
    repo,
    client,
    /** `docker compose up -d` of a cluster's project from a commit's tree, under another project name, as an operator types it. */
    async bareUp(project: string, c: SampleCluster, treeDir: string): Promise<void> {
      const files = ['-f', path.join(treeDir, 'compose/docker-compose.yml'), '--env-file', path.join(treeDir, `clusters/${c.id}/.env`)];
      const args = ['compose', '-p', project, ...files, ...c.profiles.flatMap((p) => ['--profile', p]), 'up', '-d', '--remove-orphans'];
      await composeChecked('docker', args, treeDir);
    },
    async untilHealthy(project: string, services: number): Promise<void> {
      for (;;) {
        const list = await docker.listContainers({ filters: { label: [`com.docker.compose.project=${project}`] } });
        if (list.length === services && list.every((c) => c.Status.includes('(healthy)'))) return;
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async close(bareProjects: string[]): Promise<void> {
      for (const w of workers) w.shutdown();
      await Promise.all(running);
      for (const p of [...clusters.map((c) => projectName(c.id)), ...bareProjects]) {
        await runCompose(['-p', p, 'down', '-v', '--timeout', '1']).catch(() => undefined);
      }
      await mongo.close();
      await connection.close();
      await clientConnection.close();
      await downStack(dataDir);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
