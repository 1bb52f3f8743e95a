import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { ChunkStore } from '../sessions/chunk-store';
import { createNodeActivities, type NodeWorkerContext } from '../activities/node/node-activities';
import { nodeStorePaths } from '../sessions/node-store-paths';
import { nodeEnv } from '../config/node-config';
import { s3Target } from '../config/s3-config';
import { ChunkBucket } from '../sessions/chunk-bucket';
import { nodeQueue } from '../workflows/task-queues';

export interface NodeWorkerOptions extends NodeWorkerContext {
  connection: NativeConnection;
  namespace: string;
  /** Encrypts payloads when LUCID_PAYLOAD_KEYS is set; see payload-codec.ts. */
  dataConverter?: DataConverter;
}

/** A node's context from its `LUCID_RECORD_*`, `LUCID_CHUNK_*`, `LUCID_ZSTD_LEVEL` and `LUCID_S3_*` variables. */
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
  };
}

/** A node-worker Pi: polls `node-<id>`, records sessions and holds that node's key and chunk store. */
export async function createNodeWorker(opts: NodeWorkerOptions): Promise<Worker> {
  const { connection, namespace, dataConverter, ...context } = opts;
  return Worker.create({
    connection,
    namespace,
    dataConverter,
    taskQueue: nodeQueue(opts.nodeId),
    activities: createNodeActivities(context),
  });
}
