import * as path from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import Docker from 'dockerode';
import { type CommitPreparer, createClusterActivities } from '../activities/cluster/cluster-activities';
import type { ClusterEngine } from '../compose/cluster-engine';
import { composeEngine } from '../compose/compose-engine';
import { clusterId } from '../common/input-ids';
import type { EgressProxy } from '../config/egress-proxy';
import { clusterQueue } from '../workflows/task-queues';
import { pullPolicy } from './docker-pulls';

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
  /** Another engine than Compose on `docker` (the fleet simulation's). */
  engine?: ClusterEngine;
  /** Another fetch, gates and render than this cluster's own git mirror (the fleet simulation's). */
  preparer?: CommitPreparer;
  /** Long polls held open for this queue (default CLUSTER_ACTIVITY_POLLERS); the fleet simulation holds one per Pi. */
  activityPollers?: number;
}

/**
 * Long polls a Pi holds on its queue. A poller polls again as soon as it is handed a task, so this bounds how many
 * tasks are picked up at once, not how many run: two, as a reconcile schedules its activities in pairs (fetch and
 * prepare, health and probe). Every poll is held open on the server, and the SDK's default of ten would make a
 * fleet of 10,000 Pis a hundred thousand polls (Temporal refuses past `frontend.namespaceCount`, 1,200 by default).
 */
export const CLUSTER_ACTIVITY_POLLERS = 2;

/**
 * The lucid-reconciler of one cluster: polls `cluster-<id>` for activities only and holds that cluster's
 * Docker socket; the workflows that drive it run on the control host (workers/reconcile.ts).
 */
export async function createClusterWorker(opts: ClusterWorkerOptions): Promise<Worker> {
  // The id becomes a directory, a task queue and the Compose project name.
  const id = clusterId('cluster id', opts.clusterId);
  const engine = opts.engine ?? (await realEngine(opts.docker ?? new Docker(), id, opts.egressProxy));
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    dataConverter: opts.dataConverter,
    taskQueue: clusterQueue(id),
    // Not maxConcurrentActivityTaskPolls: the SDK (1.24) documents it but polls with its default of ten regardless.
    activityTaskPollerBehavior: { type: 'simple-maximum', maximum: opts.activityPollers ?? CLUSTER_ACTIVITY_POLLERS },
    activities: createClusterActivities({
      clusterId: id,
      repoUrl: opts.repoUrl,
      stateDir: path.join(opts.dataDir, 'clusters', id),
      engine,
      ageIdentities: opts.ageIdentities,
      secretsDir: opts.secretsDir,
      preparer: opts.preparer,
    }),
  });
}

async function realEngine(docker: Docker, id: string, egressProxy: EgressProxy | undefined): Promise<ClusterEngine> {
  return composeEngine({ docker, clusterId: id, pull: await pullPolicy(docker, egressProxy, id) });
}
