import { proxyActivities } from '@temporalio/workflow';
import type { ClusterActivities } from '../activities/cluster/cluster-activities';
import { clusterId as checkClusterId } from '../common/input-ids';
import { refuseMalformedInput } from './input-guard';
import type { ServiceStatus } from './reconcile-types';
import { clusterQueue } from './task-queues';

/**
 * Reads a cluster's containers through its own worker, so the console needs no Docker access to it.
 * Started on the shared reconcile queue with the cluster named; without one (older callers) it runs
 * on the cluster's queue and its activity follows it there.
 */
export async function observeCluster(input?: { clusterId: string }): Promise<ServiceStatus[]> {
  if (input) refuseMalformedInput('observeCluster', () => checkClusterId('clusterId', input.clusterId));
  const { observeServices } = proxyActivities<ClusterActivities>({
    ...(input ? { taskQueue: clusterQueue(input.clusterId) } : {}),
    startToCloseTimeout: '20 seconds',
    retry: { maximumAttempts: 2 },
  });
  return observeServices();
}
