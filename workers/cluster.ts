import * as path from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import Docker from 'dockerode';
import { createClusterActivities } from '../activities/cluster/cluster-activities';
import { clusterId } from '../common/input-ids';
import type { EgressProxy } from '../config/egress-proxy';
import { clusterQueue } from '../workflows/task-queues';
import { pullPolicy } from './docker-pulls';
import { workflowSource } from './workflow-source';

export interface ClusterWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  clusterId: string;
  repoUrl: string;
  dataDir: string;
  docker?: Docker;
  ageIdentities?: string[];
  secretsDir?: string;
  /** Encrypts payloads when LUCID_PAYLOAD_KEYS is set; see payload-codec.ts. */
  dataConverter?: DataConverter;
  /** LUCID_TEMPORAL_PROXY: decides whether dockerd may pull (see docker-pulls.ts). */
  egressProxy?: EgressProxy;
}

/** The lucid-reconciler of one cluster: polls `cluster-<id>` and holds that cluster's Docker socket. */
export async function createClusterWorker(opts: ClusterWorkerOptions): Promise<Worker> {
  // The id becomes a directory, a task queue and the Compose project name.
  const id = clusterId('cluster id', opts.clusterId);
  const docker = opts.docker ?? new Docker();
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    dataConverter: opts.dataConverter,
    taskQueue: clusterQueue(id),
    ...workflowSource(),
    activities: createClusterActivities({
      clusterId: id,
      repoUrl: opts.repoUrl,
      stateDir: path.join(opts.dataDir, 'clusters', id),
      docker,
      pull: await pullPolicy(docker, opts.egressProxy, id),
      ageIdentities: opts.ageIdentities,
      secretsDir: opts.secretsDir,
    }),
  });
}
