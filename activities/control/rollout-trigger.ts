import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { rollout } from '../../workflows';
import type { RolloutInput, RolloutTrigger } from '../../workflows/rollout-types';
import { CONTROL_QUEUE, breakglassWorkflowId, rolloutWorkflowId } from '../../workflows/task-queues';

/**
 * Starts `rollout-<sha>` unless one ever ran: the id rejects duplicates, so a
 * webhook redelivery, a poll and an operator racing on one commit start it once.
 */
export async function startRollout(
  client: Client,
  commit: string,
  trigger: RolloutTrigger,
  breakglass?: RolloutInput['breakglass'],
): Promise<{ workflowId: string; started: boolean }> {
  const workflowId = breakglass ? breakglassWorkflowId(commit) : rolloutWorkflowId(commit);
  try {
    await client.workflow.start<typeof rollout>('rollout', {
      taskQueue: CONTROL_QUEUE,
      workflowId,
      args: [{ commit, trigger, breakglass }],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
    return { workflowId, started: true };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, started: false };
    throw err;
  }
}
