import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createNodeActivities, type NodeWorkerContext } from '../activities/node/node-activities';
import { nodeQueue } from '../workflows/task-queues';

export interface NodeWorkerOptions extends NodeWorkerContext {
  connection: NativeConnection;
  namespace: string;
  /** Encrypts payloads when LUCID_PAYLOAD_KEYS is set; see payload-codec.ts. */
  dataConverter?: DataConverter;
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
