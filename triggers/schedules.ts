import { ScheduleAlreadyRunning, type Client } from '@temporalio/client';
import { CONTROL_QUEUE, RECONCILE_QUEUE } from '../workflows/task-queues';

interface Recurring {
  scheduleId: string;
  workflowType: string;
  taskQueue: string;
  args: unknown[];
  everySeconds: number;
}

/** Creates the Schedule, or updates its interval and task queue when it exists: safe to call on every sync. */
async function ensureSchedule(client: Client, s: Recurring): Promise<void> {
  const spec = { intervals: [{ every: s.everySeconds * 1000 }] };
  try {
    await client.schedule.create({
      scheduleId: s.scheduleId,
      spec,
      action: { type: 'startWorkflow', workflowType: s.workflowType, workflowId: s.scheduleId, taskQueue: s.taskQueue, args: s.args },
      policies: { overlap: 'SKIP' },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    // A Schedule made before the shared reconcile queue still starts its workflow on the cluster's queue.
    await client.schedule.getHandle(s.scheduleId).update((prev) => ({ ...prev, spec, action: { ...prev.action, taskQueue: s.taskQueue } }));
  }
}

export function driftScheduleId(clusterId: string): string {
  return `drift-${clusterId}`;
}

export const POLL_SCHEDULE_ID = 'poll-config-repo';

/** Per cluster, on the shared reconcile queue: the cluster's worker compares what runs with what should. */
export function ensureDriftSchedule(client: Client, clusterId: string, everySeconds: number): Promise<void> {
  return ensureSchedule(client, {
    scheduleId: driftScheduleId(clusterId),
    workflowType: 'driftCheck',
    taskQueue: RECONCILE_QUEUE,
    args: [{ clusterId }],
    everySeconds,
  });
}

/** Deletes the drift Schedules of clusters no longer in the inventory, so no Pi is checked after it left the fleet. */
export async function pruneDriftSchedules(client: Client, clusters: readonly string[]): Promise<string[]> {
  const keep = new Set(clusters.map(driftScheduleId));
  const gone: string[] = [];
  for await (const s of client.schedule.list()) {
    if (s.scheduleId.startsWith('drift-') && !keep.has(s.scheduleId)) gone.push(s.scheduleId);
  }
  for (const id of gone) await client.schedule.getHandle(id).delete();
  return gone;
}

/** The fallback trigger when no webhook reaches the console: compare the branch head with what was rolled out. */
export function ensurePollSchedule(client: Client, everySeconds: number): Promise<void> {
  return ensureSchedule(client, {
    scheduleId: POLL_SCHEDULE_ID,
    workflowType: 'pollConfigRepo',
    taskQueue: CONTROL_QUEUE,
    args: [],
    everySeconds,
  });
}
