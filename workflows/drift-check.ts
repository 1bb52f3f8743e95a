import { executeChild, proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { ClusterActivities } from '../activities/cluster/cluster-activities';
import type { ControlActivities } from '../activities/control/control-activities';
import { reconcileCluster } from './reconcile-cluster';
import type { DriftResult } from './reconcile-types';
import { SEARCH_ATTRIBUTES as SA } from './search-attributes';
import { CONTROL_QUEUE } from './task-queues';

const control = proxyActivities<ControlActivities>({
  taskQueue: CONTROL_QUEUE,
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 5 },
});
const { detectDrift } = proxyActivities<ClusterActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: ['ConfigError', 'UnknownCommit'] },
});

/**
 * Run by the cluster's drift Schedule: holds the cluster on its last good
 * commit (never a commit a halted rollout marked bad) and puts back anything
 * missing, stopped or changed by hand.
 */
export async function driftCheck(input: { clusterId: string }): Promise<DriftResult> {
  const { clusterId } = input;
  upsertSearchAttributes([{ key: SA.cluster, value: [clusterId] }]);
  const target = await control.driftTarget({ clusterId });
  if (!target.commit) return { clusterId, problems: [], skipped: target.skipped };
  upsertSearchAttributes([{ key: SA.commit, value: target.commit }]);

  const problems = await detectDrift({ commit: target.commit });
  if (problems.length === 0) return { clusterId, commit: target.commit, problems };

  const fixed = await executeChild(reconcileCluster, {
    workflowId: `${workflowInfo().workflowId}-correct`,
    args: [{ clusterId, commit: target.commit }],
  });
  const result: DriftResult = { clusterId, commit: target.commit, problems, corrected: fixed.outcome };
  await control.recordDrift({ result });
  return result;
}
