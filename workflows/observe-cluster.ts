import { proxyActivities } from '@temporalio/workflow';
import type { ClusterActivities } from '../activities/cluster/cluster-activities';
import type { ServiceStatus } from './reconcile-types';

const { observeServices } = proxyActivities<ClusterActivities>({
  startToCloseTimeout: '20 seconds',
  retry: { maximumAttempts: 2 },
});

/** Reads a cluster's containers through its own worker, so the console needs no Docker access to it. */
export async function observeCluster(): Promise<ServiceStatus[]> {
  return observeServices();
}
