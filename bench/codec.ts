import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter, type DataConverter } from '@temporalio/common';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import Docker from 'dockerode';
import { payloadKeys } from '../config/payload-keys';
import { downStack, upStack } from '../services/stack/embedded-stack';
import { createClusterWorker } from '../workers/cluster';
import { createReconcileWorker } from '../workers/reconcile';
import { EncryptionCodec, lucidDataConverter } from '../workers/payload-codec';
import type { observeCluster } from '../workflows';
import { RECONCILE_QUEUE } from '../workflows/task-queues';

/**
 * bench:codec: the cost of encrypting every payload, as the time per workflow
 * (one workflow task, one activity, their payloads) with the codec against the
 * same workflow without it, in one run; and the codec's own cost per payload.
 */
const RUNS = Number(process.env.BENCH_RUNS ?? 150);
const KEYS = payloadKeys({ LUCID_PAYLOAD_KEYS: `bench:${Buffer.alloc(32, 7).toString('base64')}` })!;

async function timeWorkflows(address: string, dataDir: string, clusterId: string, dataConverter: DataConverter | undefined): Promise<number> {
  const connection = await NativeConnection.connect({ address });
  const clientConnection = await Connection.connect({ address });
  const client = new Client({ connection: clientConnection, namespace: 'lucid', dataConverter });
  // A cluster with no containers: the activity is one quick Docker list, so the codec's share shows.
  const worker = await createClusterWorker({ connection, namespace: 'lucid', clusterId, repoUrl: '/nonexistent', dataDir, docker: new Docker(), dataConverter });
  const reconcile = await createReconcileWorker({ connection, namespace: 'lucid', dataConverter });
  // The observe workflow runs on the control host's reconcile queue; its one activity on the cluster's worker.
  const ms = await reconcile.runUntil(worker.runUntil(async () => {
    const run = (i: number) =>
      client.workflow.execute<typeof observeCluster>('observeCluster', { taskQueue: RECONCILE_QUEUE, workflowId: `bench-${clusterId}-${i}`, args: [{ clusterId }] });
    for (let i = 0; i < 10; i++) await run(-1 - i);
    const t = performance.now();
    for (let i = 0; i < RUNS; i++) await run(i);
    return (performance.now() - t) / RUNS;
  }));
  await clientConnection.close();
  await connection.close();
  return ms;
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-bench-codec-'));
  const stack = await upStack({ dataDir, namespace: 'lucid', temporalPort: 37233, mongoPort: 37017, registryPort: 37500, chainPort: 38545, workers: [] });
  let plain = 0;
  let encrypted = 0;
  try {
    plain = await timeWorkflows(stack.temporalAddress, dataDir, 'bench-plain', undefined);
    encrypted = await timeWorkflows(stack.temporalAddress, dataDir, 'bench-enc', lucidDataConverter(KEYS));
  } finally {
    await downStack(dataDir);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  const codec = new EncryptionCodec(KEYS);
  const payload = defaultPayloadConverter.toPayload({ clusterId: 'bc-a', commit: 'f'.repeat(40), healthTimeoutSeconds: 120 });
  const N = 20000;
  let t = performance.now();
  for (let i = 0; i < N; i++) await codec.decode(await codec.encode([payload]));
  const perPayloadUs = ((performance.now() - t) / N) * 1000;
  process.stdout.write(
    [
      `bench:codec (${RUNS} workflows each, sequential)`,
      `  without codec   ${plain.toFixed(2)} ms per workflow`,
      `  with codec      ${encrypted.toFixed(2)} ms per workflow   ratio ${(encrypted / plain).toFixed(3)}`,
      `  codec alone     ${perPayloadUs.toFixed(1)} us per payload (encode + decode of a ${payload.data!.length}-byte payload)`,
      '',
    ].join('\n'),
  );
}

main().catch((err: Error) => {
  process.stderr.write(`bench:codec: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
