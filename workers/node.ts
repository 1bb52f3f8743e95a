import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { ChunkStore } from '../sessions/chunk-store';
import { createNodeActivities, type NodeWorkerContext } from '../activities/node/node-activities';
import { nodeStorePaths } from '../sessions/node-store-paths';
import { nodeEnv } from '../config/node-config';
import { s3Target } from '../config/s3-config';
import { ChunkBucket } from '../sessions/chunk-bucket';
import { nodeQueue } from '../workflows/task-queues';
import { peerSettings } from '../config/peer-config';
import { startChunkHost } from '../sessions/chunk-host';

export interface NodeWorkerOptions extends NodeWorkerContext {
  connection: NativeConnection;
  namespace: string;
  /** Encrypts payloads when LUCID_PAYLOAD_KEYS is set; see payload-codec.ts. */
  dataConverter?: DataConverter;
}

/** A node's context from its `LUCID_RECORD_*`, `LUCID_CHUNK_*`, `LUCID_ZSTD_LEVEL`, `LUCID_S3_*` and `LUCID_PEER*` variables. */
export function nodeWorkerContext(args: { nodeId: string; dataDir: string; nodeKey: Buffer; env?: NodeJS.ProcessEnv }): NodeWorkerContext {
  const env = nodeEnv(args.env);
  const paths = nodeStorePaths(args.dataDir, args.nodeId, env.LUCID_CHUNK_STORE);
  const bucket = s3Target(args.env);
  return {
    nodeId: args.nodeId,
    nodeKey: args.nodeKey,
    store: new ChunkStore(paths.store),
    journalDir: paths.journalDir,
    input: env.LUCID_RECORD_INPUT,
    encoder: env.LUCID_RECORD_ENCODER,
    chunkBytes: env.LUCID_CHUNK_BYTES,
    zstdLevel: env.LUCID_ZSTD_LEVEL,
    ...(bucket && { bucket: new ChunkBucket(bucket) }),
    held: new ChunkStore(paths.held),
    peers: peerSettings(args.nodeId, args.env),
  };
}

/**
 * A node-worker Pi: polls `node-<id>`, records sessions and holds that node's key and chunk store; with
 * LUCID_CHUNK_HOST_LISTEN it also runs the node's chunk host, for as long as the worker runs.
 */
export async function createNodeWorker(opts: NodeWorkerOptions): Promise<Worker> {
  const { connection, namespace, dataConverter, ...context } = opts;
  const worker = await Worker.create({
    connection,
    namespace,
    dataConverter,
    taskQueue: nodeQueue(opts.nodeId),
    activities: createNodeActivities(context),
  });
  const { listen, key } = context.peers;
  if (!listen || !key) return worker;
  const { nodeId, store, held, journalDir } = context;
  const host = await startChunkHost({ nodeId, key, store, held, journalDir }, listen);
  const run = worker.run.bind(worker);
  const closeHost = () => new Promise((resolve) => host.close(resolve));
  return Object.assign(worker, { run: () => run().finally(closeHost) });
}
