import type { DataConverter } from '@temporalio/common';
import { type NativeConnection, Worker } from '@temporalio/worker';
import { RECONCILE_QUEUE } from '../workflows/task-queues';
import { workflowSource } from './workflow-source';

export interface ReconcileWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  /** Encrypts payloads when LUCID_PAYLOAD_KEYS is set; see payload-codec.ts. */
  dataConverter?: DataConverter;
}

/**
 * The control host's workflow worker for every cluster's reconcile, drift
 * check and observe: workflow tasks only, no credentials. Their activities run
 * on each cluster's own queue, so a Pi's worker runs no workflow code at all.
 */
export function createReconcileWorker(opts: ReconcileWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    dataConverter: opts.dataConverter,
    taskQueue: RECONCILE_QUEUE,
    ...workflowSource(),
  });
}
