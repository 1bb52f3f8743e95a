import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { RolloutInput, RolloutStatus, RolloutTrigger, RolloutWorkflow } from '../workflows/rollout-types';
import { CONTROL_QUEUE, breakglassWorkflowId, rolloutWorkflowId } from '../workflows/task-queues';

export interface RolloutStart {
  workflowId: string;
  started: boolean;
}

/**
 * Starts `rollout-<sha>` unless one ever ran: the id rejects duplicates, so a
 * webhook redelivery, a poll and an operator racing on one commit start it once.
 * The one exception is a run that never found its commit: nothing was applied
 * or judged, so the next trigger for that commit runs it again.
 */
export async function startRollout(
  client: Client,
  commit: string,
  trigger: RolloutTrigger,
  breakglass?: RolloutInput['breakglass'],
): Promise<RolloutStart> {
  const workflowId = breakglass ? breakglassWorkflowId(commit) : rolloutWorkflowId(commit);
  const args: [RolloutInput] = [{ commit, trigger, breakglass, ...commitWait() }];
  if (await tryStart(client, workflowId, args, 'REJECT_DUPLICATE')) return { workflowId, started: true };
  const previous = await closedResult(client, workflowId);
  if (previous?.commitMissing && (await tryStart(client, workflowId, args, 'ALLOW_DUPLICATE'))) return { workflowId, started: true };
  return { workflowId, started: false };
}

export class RetryRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetryRefused';
  }
}

/**
 * An operator's explicit second run of a halted or aborted rollout, under the
 * same id: the only act that clears the commit's bad mark, and it is in history
 * (the trigger names who and why).
 */
export async function retryRollout(client: Client, commit: string, by: string, reason?: string): Promise<RolloutStart> {
  const workflowId = rolloutWorkflowId(commit);
  const handle = client.workflow.getHandle(workflowId);
  const run = await handle.describe().catch(() => undefined);
  if (!run) throw new RetryRefused(`no rollout of ${commit} ran: start it with 'lucid rollout start'`);
  if (run.status.name === 'RUNNING') throw new RetryRefused(`${workflowId} is still running: nothing to retry`);
  const previous = (await handle.result().catch(() => undefined)) as RolloutStatus | undefined;
  if (previous?.state === 'succeeded') throw new RetryRefused(`${workflowId} succeeded: nothing to retry`);
  const args: [RolloutInput] = [{ commit, trigger: { source: 'retry', by, reason }, ...commitWait() }];
  if (!(await tryStart(client, workflowId, args, 'ALLOW_DUPLICATE'))) throw new RetryRefused(`${workflowId} was started again meanwhile`);
  return { workflowId, started: true };
}

async function tryStart(client: Client, workflowId: string, args: [RolloutInput], reuse: 'REJECT_DUPLICATE' | 'ALLOW_DUPLICATE'): Promise<boolean> {
  try {
    await client.workflow.start<RolloutWorkflow>('rollout', { taskQueue: CONTROL_QUEUE, workflowId, args, workflowIdReusePolicy: reuse });
    return true;
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return false;
    throw err;
  }
}

/** The last run's status when it has ended; undefined while it runs. */
async function closedResult(client: Client, workflowId: string): Promise<RolloutStatus | undefined> {
  const handle = client.workflow.getHandle(workflowId);
  const { status } = await handle.describe();
  if (status.name === 'RUNNING') return undefined;
  return (await handle.result().catch(() => undefined)) as RolloutStatus | undefined;
}

/** Tests shorten how long a rollout keeps fetching a commit it was told about. */
function commitWait(): Pick<RolloutInput, 'commitWaitSeconds'> {
  const s = Number(process.env.LUCID_COMMIT_WAIT_SECONDS);
  return Number.isInteger(s) && s > 0 ? { commitWaitSeconds: s } : {};
}
