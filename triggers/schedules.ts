import { ScheduleAlreadyRunning, type Client } from '@temporalio/client';
import type { RepairInput } from '../workflows/replication-types';
import { CONTROL_QUEUE, REPLICA_REPAIR_SCHEDULE_ID } from '../workflows/task-queues';
import { driftShards } from './drift-shards';

interface Recurring {
  scheduleId: string;
  workflowType: string;
  taskQueue: string;
  args: unknown[];
  everySeconds: number;
}

/** Creates the Schedule, or updates its interval, task queue and arguments when it exists: safe to call on every sync. */
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
    const { taskQueue, args } = s;
    await client.schedule.getHandle(s.scheduleId).update((prev) => ({ ...prev, spec, action: { ...prev.action, taskQueue, args } }));
  }
}

/** `.` is never in a cluster id, so no sweep shares a name with the per-cluster `drift-<id>` Schedules of old. */
export function driftSweepScheduleId(shard: number): string {
  return `drift-sweep.${shard}`;
}

export const POLL_SCHEDULE_ID = 'poll-config-repo';

/**
 * One drift Schedule per shard of the inventory (triggers/drift-shards.ts), each naming its clusters. Schedules
 * of clusters that left the inventory, of shards no longer needed and the per-cluster ones of earlier versions
 * are deleted, so no Pi is checked after it left the fleet.
 */
export async function syncDriftSweeps(
  client: Client,
  clusters: readonly string[],
  everySeconds: number,
): Promise<{ sweeps: string[]; deleted: string[] }> {
  const sweeps: string[] = [];
  for (const [shard, members] of driftShards(clusters).entries()) {
    if (members.length === 0) continue;
    const scheduleId = driftSweepScheduleId(shard);
    await ensureSchedule(client, { scheduleId, workflowType: 'driftSweep', taskQueue: CONTROL_QUEUE, args: [{ clusters: members }], everySeconds });
    sweeps.push(scheduleId);
  }
  const keep = new Set(sweeps);
  const deleted: string[] = [];
  for await (const s of client.schedule.list()) {
    if (s.scheduleId.startsWith('drift-') && !keep.has(s.scheduleId)) deleted.push(s.scheduleId);
  }
  for (const id of deleted) await client.schedule.getHandle(id).delete();
  return { sweeps, deleted };
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

/** How often sessions' copies are checked and repaired by default: each run takes the least recently checked. */
export const REPLICA_REPAIR_EVERY_SECONDS = 3600;

/** The repair sweep of sessions' copies (workflows/repair-replicas.ts). */
export function ensureReplicaRepairSchedule(client: Client, everySeconds = REPLICA_REPAIR_EVERY_SECONDS, input: RepairInput = {}): Promise<void> {
  return ensureSchedule(client, {
    scheduleId: REPLICA_REPAIR_SCHEDULE_ID,
    workflowType: 'repairReplicas',
    taskQueue: CONTROL_QUEUE,
    args: [input],
    everySeconds,
  });
}
