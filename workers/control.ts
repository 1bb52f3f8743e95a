import { NativeConnection, Worker } from '@temporalio/worker';
import type { Db } from 'mongodb';
import { createControlActivities } from '../activities/control/control-activities';
import { ClusterStore } from '../activities/control/cluster-store';
import { CONTROL_QUEUE } from '../workflows/task-queues';

export interface ControlWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  db: Db;
}

/** The console host's worker: the only one holding MongoDB. */
export async function createControlWorker(opts: ControlWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: CONTROL_QUEUE,
    activities: createControlActivities(new ClusterStore(opts.db)),
  });
}
