import { type ActivityOptions, executeChild, patched, proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { ClusterActivities } from '../activities/cluster/cluster-activities';
import type { ControlActivities } from '../activities/control/control-activities';
import { clusterId as checkClusterId } from '../common/input-ids';
import { refuseMalformedInput } from './input-guard';
import { reconcileCluster } from './reconcile-cluster';
import type { DriftResult } from './reconcile-types';
import { SEARCH_ATTRIBUTES as SA } from './search-attributes';
import { CONTROL_QUEUE, clusterQueue, driftCorrectionWorkflowId } from './task-queues';

const control = proxyActivities<ControlActivities>({
  taskQueue: CONTROL_QUEUE,
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 5 },
});
// Fetches and renders like a reconcile's prepare, and heartbeats for the same reason.
export const prepareAndDiffOptions: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: ['ConfigError', 'UnknownCommit'] },
};

/**
 * Run by the cluster's drift Schedule: holds the cluster on its last good
 * commit (never a commit a halted rollout marked bad) and puts back anything
 * missing, stopped or changed by hand.
 */
export async function driftCheck(input: { clusterId: string }): Promise<DriftResult> {
  refuseMalformedInput('driftCheck', () => checkClusterId('clusterId', input.clusterId));
  const { clusterId } = input;
  upsertSearchAttributes([{ key: SA.cluster, value: [clusterId] }]);
  const target = await control.driftTarget({ clusterId });
  if (!target.commit) return { clusterId, problems: [], skipped: target.skipped };
  upsertSearchAttributes([{ key: SA.commit, value: target.commit }]);

  // On the cluster's own queue: the check itself may run on the shared reconcile queue.
  const onCluster = { ...prepareAndDiffOptions, taskQueue: clusterQueue(clusterId) };
  // Recorded histories scheduled the same activity under its old name; replaying them needs the name, not the code.
  const diff = patched('prepare-and-diff')
    ? proxyActivities<ClusterActivities>(onCluster).prepareAndDiff
    : proxyActivities<{ detectDrift: ClusterActivities['prepareAndDiff'] }>(onCluster).detectDrift;
  const problems = await diff({ commit: target.commit });
  if (problems.length === 0) return { clusterId, commit: target.commit, problems };

  const fixed = await executeChild(reconcileCluster, {
    workflowId: driftCorrectionWorkflowId(workflowInfo().workflowId),
    args: [{ clusterId, commit: target.commit }],
  });
  const result: DriftResult = { clusterId, commit: target.commit, problems, corrected: fixed.outcome };
  await control.recordDrift({ result });
  return result;
}
