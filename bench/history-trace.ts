import type { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export interface TraceSpan {
  /** The activity type, or `workflow task` for a workflow task round trip. */
  name: string;
  /** Milliseconds after the workflow started: scheduled, picked up by a worker, completed. */
  scheduled: number;
  started?: number;
  closed?: number;
}

function ms(t: HistoryEvent['eventTime']): number {
  return Number(t?.seconds ?? 0) * 1000 + Math.round((t?.nanos ?? 0) / 1e6);
}

/**
 * Where a workflow's time went, from its history alone: each activity's and each workflow task's
 * scheduled, started and closed times, so queue waits (scheduled -> started) show apart from work.
 */
export function traceHistory(events: HistoryEvent[]): TraceSpan[] {
  const t0 = ms(events[0]?.eventTime);
  const spans = new Map<string, TraceSpan>();
  for (const e of events) {
    const at = ms(e.eventTime) - t0;
    const id = String(e.eventId);
    if (e.activityTaskScheduledEventAttributes) {
      spans.set(id, { name: e.activityTaskScheduledEventAttributes.activityType?.name ?? '?', scheduled: at });
    } else if (e.workflowTaskScheduledEventAttributes) {
      spans.set(id, { name: 'workflow task', scheduled: at });
    }
    const startedOf = e.activityTaskStartedEventAttributes?.scheduledEventId ?? e.workflowTaskStartedEventAttributes?.scheduledEventId;
    if (startedOf != null) spans.get(String(startedOf))!.started = at;
    const closedOf =
      e.activityTaskCompletedEventAttributes?.scheduledEventId ??
      e.activityTaskFailedEventAttributes?.scheduledEventId ??
      e.activityTaskTimedOutEventAttributes?.scheduledEventId ??
      e.workflowTaskCompletedEventAttributes?.scheduledEventId ??
      e.workflowTaskFailedEventAttributes?.scheduledEventId ??
      e.workflowTaskTimedOutEventAttributes?.scheduledEventId;
    if (closedOf != null) spans.get(String(closedOf))!.closed = at;
  }
  return [...spans.values()].sort((a, b) => a.scheduled - b.scheduled);
}

/** One line per span: queue wait and run time, and a total that says how much was workflow-task round trips. */
export function formatTrace(spans: TraceSpan[], total: number): string {
  const fmt = (n: number | undefined) => (n === undefined ? '     -' : n.toFixed(0).padStart(6));
  const lines = spans.map((s) => {
    const wait = s.started === undefined ? undefined : s.started - s.scheduled;
    const run = s.closed === undefined || s.started === undefined ? undefined : s.closed - s.started;
    return `    ${s.name.padEnd(18)} scheduled ${fmt(s.scheduled)}  started ${fmt(s.started)}  closed ${fmt(s.closed)}  wait ${fmt(wait)}  run ${fmt(run)}`;
  });
  const tasks = spans.filter((s) => s.name === 'workflow task' && s.closed !== undefined);
  const inTasks = tasks.reduce((sum, s) => sum + (s.closed! - s.scheduled), 0);
  lines.push(`    ${tasks.length} workflow tasks, ${inTasks.toFixed(0)} ms of ${total.toFixed(0)} ms in them (scheduled -> completed)`);
  return lines.join('\n');
}
