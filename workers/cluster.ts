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
  /** Long polls held open for this queue (default CLUSTER_ACTIVITY_POLLERS); bench:fleet's --pi-pollers sets it. */
  activityPollers?: number;
}

/**
 * Long polls a Pi holds on its queue: the SDK's own default, which every Pi has always held, set where it is seen.
 * Fewer cost the server less: a simulated fleet of 1,000 on this machine's dev server, one run each, took 92.8,
 * 74.6 and 86.2 s with ten, two and one (Temporal 54.4, 36.6 and 38.7 CPU s, peak RSS 2.3, 1.1 and 0.9 GiB), and
 * in the run with two one Pi missed its 15 s pickup. A fleet of 10,000 holds 100,000 polls: its server needs
 * `frontend.namespaceCount` above that (services/stack/fleet-dynamic-config.ts).
 */
export const CLUSTER_ACTIVITY_POLLERS = 10;

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
