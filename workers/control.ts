import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Db } from 'mongodb';
import { createControlActivities } from '../activities/control/control-activities';
import { ClusterStore } from '../activities/control/cluster-store';
import { RolloutStore } from '../activities/control/rollout-store';
import { SessionStore } from '../activities/control/session-store';
import { CONTROL_QUEUE } from '../workflows/task-queues';
import { workflowSource } from './workflow-source';

export interface ControlWorkerOptions {
  connection: NativeConnection;
  /** The client side of the same server, for signalling and starting other workflows. */
  clientConnection: Connection;
  namespace: string;
  db: Db;
  repo?: { url: string; dataDir: string };
  /** Encrypts payloads when LUCID_PAYLOAD_KEYS is set; see payload-codec.ts. */
  dataConverter?: DataConverter;
}

/** The console host's worker: runs rollouts and holds MongoDB. */
export async function createControlWorker(opts: ControlWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    dataConverter: opts.dataConverter,
    taskQueue: CONTROL_QUEUE,
    ...workflowSource(),
    activities: createControlActivities({
      clusters: new ClusterStore(opts.db),
      rollouts: new RolloutStore(opts.db),
      sessions: new SessionStore(opts.db),
      repo: opts.repo,
      client: new Client({ connection: opts.clientConnection, namespace: opts.namespace, dataConverter: opts.dataConverter }),
    }),
  });
}
