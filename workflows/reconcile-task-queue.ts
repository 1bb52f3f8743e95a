import { patched } from '@temporalio/workflow';
import { RECONCILE_QUEUE, clusterQueue } from './task-queues';

/**
 * The task queue of a reconcile child; workflow code only (it asks `patched`), kept out of task-queues.ts so
 * the CLI and workers that name queues never load the workflow package. Histories from before the shared
 * queue keep the cluster's.
 */
export function reconcileTaskQueue(clusterId: string): string {
  return patched('reconcile-queue') ? RECONCILE_QUEUE : clusterQueue(clusterId);
}
