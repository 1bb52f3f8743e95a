import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

/** A worker long-polls for about a minute at a time; one not seen for two minutes is gone. */
const ALIVE_WITHIN_MS = 120_000;

/** Whether any live worker polls a task queue's activities: a queue no one serves would hold work forever. */
export async function queueHasWorker(client: Client, taskQueue: string): Promise<boolean> {
  const { pollers } = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
  });
  const now = Date.now();
  return (pollers ?? []).some((p) => {
    const seconds = Number(p.lastAccessTime?.seconds ?? 0);
    return now - seconds * 1000 < ALIVE_WITHIN_MS;
  });
}
