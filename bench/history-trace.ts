import type { temporal } from '@temporalio/proto';
import type { Client } from '@temporalio/client';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export interface TraceSpan {
  /** The activity type, `workflow task` for a workflow task round trip, or `child <type>` for a child workflow. */
  name: string;
  /** Milliseconds after the workflow started: scheduled, picked up by a worker, completed. */
  scheduled: number;
  started?: number;
  closed?: number;
  /** A child workflow's id, to trace its own history. */
  workflowId?: string;
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
    } else if (e.startChildWorkflowExecutionInitiatedEventAttributes) {
      const child = e.startChildWorkflowExecutionInitiatedEventAttributes;
      spans.set(id, { name: `child ${child.workflowType?.name ?? '?'}`, scheduled: at, workflowId: child.workflowId ?? undefined });
    }
    const startedOf =
      e.activityTaskStartedEventAttributes?.scheduledEventId ??
      e.workflowTaskStartedEventAttributes?.scheduledEventId ??
      e.childWorkflowExecutionStartedEventAttributes?.initiatedEventId;
    if (startedOf != null) spans.get(String(startedOf))!.started = at;
    const closedOf =
      e.activityTaskCompletedEventAttributes?.scheduledEventId ??
      e.activityTaskFailedEventAttributes?.scheduledEventId ??
      e.activityTaskTimedOutEventAttributes?.scheduledEventId ??
      e.workflowTaskCompletedEventAttributes?.scheduledEventId ??
      e.workflowTaskFailedEventAttributes?.scheduledEventId ??
      e.workflowTaskTimedOutEventAttributes?.scheduledEventId ??
      childClosedEvent(e)?.initiatedEventId;
    if (closedOf != null) spans.get(String(closedOf))!.closed = at;
  }
  return [...spans.values()].sort((a, b) => a.scheduled - b.scheduled);
}

/** The attributes of a child workflow's closing event, which all name the event that initiated it. */
function childClosedEvent(e: HistoryEvent): { initiatedEventId?: unknown } | undefined {
  return (
    e.childWorkflowExecutionCompletedEventAttributes ??
    e.childWorkflowExecutionFailedEventAttributes ??
    e.childWorkflowExecutionCanceledEventAttributes ??
    e.childWorkflowExecutionTimedOutEventAttributes ??
    e.childWorkflowExecutionTerminatedEventAttributes ??
    undefined
  );
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

/**
 * A workflow's trace and, below each child workflow it started, the child's own, indented; a child's times count
 * from its own start, which its parent's line gives.
 */
export async function formatTraceTree(client: Client, workflowId: string, total: number, depth = 0): Promise<string> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const spans = traceHistory(history.events ?? []);
  const own = formatTrace(spans, total).replace(/^/gm, '  '.repeat(depth));
  const children = spans.filter((s) => s.workflowId !== undefined);
  const below: string[] = [];
  // One child at a time: a fleet's rollout starts hundreds of batch children, and a trace need not be quick.
  for (const s of children) below.push(await formatTraceTree(client, s.workflowId!, (s.closed ?? s.scheduled) - s.scheduled, depth + 1));
  return [own, ...children.map((s, i) => `${'  '.repeat(depth + 1)}  ${s.name} ${s.workflowId}:\n${below[i]}`)].join('\n');
}
