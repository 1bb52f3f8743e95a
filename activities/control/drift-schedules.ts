import { ScheduleAlreadyRunning, type Client } from '@temporalio/client';
import { clusterQueue } from '../../workflows/task-queues';

export function driftScheduleId(clusterId: string): string {
  return `drift-${clusterId}`;
}

/** One Schedule per cluster runs `driftCheck` on the cluster's own queue; re-syncing only changes the interval. */
export async function ensureDriftSchedule(client: Client, clusterId: string, everySeconds: number): Promise<void> {
  const spec = { intervals: [{ every: everySeconds * 1000 }] };
  try {
    await client.schedule.create({
      scheduleId: driftScheduleId(clusterId),
      spec,
      action: {
        type: 'startWorkflow',
        workflowType: 'driftCheck',
        workflowId: `drift-${clusterId}`,
        taskQueue: clusterQueue(clusterId),
        args: [{ clusterId }],
      },
      policies: { overlap: 'SKIP' },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(driftScheduleId(clusterId)).update((prev) => ({ ...prev, spec }));
  }
}
