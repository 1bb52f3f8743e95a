import { patched, proxyActivities } from '@temporalio/workflow';
import type { ControlActivities } from '../activities/control/control-activities';

type BranchHeadRollout = ControlActivities['rolloutBranchHead'];

const options = { startToCloseTimeout: '1 minute', retry: { maximumAttempts: 3 } } as const;
const { rolloutBranchHead } = proxyActivities<ControlActivities>(options);
// Recorded histories scheduled the same activity under its old name; replaying them needs the name, not the code.
const { pollBranchHead } = proxyActivities<{ pollBranchHead: BranchHeadRollout }>(options);

/** Run by the poll Schedule: the same `rollout-<sha>` a webhook would start, for repos that cannot call back. */
export async function pollConfigRepo(): Promise<{ head: string; workflowId: string; started: boolean }> {
  return patched('rollout-branch-head') ? rolloutBranchHead() : pollBranchHead();
}
