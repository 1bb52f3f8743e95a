import { proxyActivities } from '@temporalio/workflow';
import type { ControlActivities } from '../activities/control/control-activities';

const { pollBranchHead } = proxyActivities<ControlActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 3 },
});

/** Run by the poll Schedule: the same `rollout-<sha>` a webhook would start, for repos that cannot call back. */
export async function pollConfigRepo(): Promise<{ head: string; workflowId: string; started: boolean }> {
  return pollBranchHead();
}
