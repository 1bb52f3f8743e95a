import type { Client } from '@temporalio/client';
import { defaultPayloadConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import { tsToMs } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import type { RolloutStore } from '../stores/rollout-store';
import type { Approval, RolloutInput, RolloutStatus } from '../workflows/rollout-types';
import { rolloutWaveWorkflowId, rolloutWorkflowId } from '../workflows/task-queues';

type Event = temporal.api.history.v1.IHistoryEvent;
type Payloads = temporal.api.common.v1.IPayloads | null | undefined;

export interface TimelineEntry {
  at: string;
  what: string;
}

function decode<T>(payloads: Payloads, index = 0): T | undefined {
  const p = payloads?.payloads?.[index];
  return p ? defaultPayloadConverter.fromPayload<T>(p) : undefined;
}

/** One line of the timeline for a history event, or none for the mechanics operators do not need. */
function describe(e: Event): string | undefined {
  const started = e.workflowExecutionStartedEventAttributes;
  if (started) {
    const input = decode<RolloutInput>(started.input);
    return `rollout requested (trigger ${input?.trigger?.source ?? 'cli'}${input?.trigger?.by ? ` by ${input.trigger.by}` : ''}${input?.trigger?.reason ? `: ${input.trigger.reason}` : ''})`;
  }
  const scheduled = e.activityTaskScheduledEventAttributes;
  if (scheduled?.activityType?.name === 'recordRolloutEvent') return decode<{ message: string }>(scheduled.input)?.message;
  const signaled = e.workflowExecutionSignaledEventAttributes;
  if (signaled) {
    const arg = decode<{ by?: string; reason?: string; commit?: string }>(signaled.input);
    const who = arg?.by ? ` by ${arg.by}` : arg?.commit ? ` by commit ${arg.commit.slice(0, 12)}` : '';
    return `${signaled.signalName} requested${who}${arg?.reason ? `: ${arg.reason}` : ''}`;
  }
  // The request may leave the wave to the workflow; the update's result names the one approved.
  const approved = e.workflowExecutionUpdateCompletedEventAttributes?.outcome?.success;
  if (approved) {
    const a = decode<Approval>(approved);
    return a ? `approved wave ${a.wave} by ${a.by}` : undefined;
  }
  const timer = e.timerStartedEventAttributes;
  if (timer) {
    const summary = e.userMetadata?.summary ? decode<string>({ payloads: [e.userMetadata.summary] }) : undefined;
    return `timer ${Number(timer.startToFireTimeout?.seconds ?? 0)}s${summary ? ` (${summary})` : ''}`;
  }
  const completed = e.workflowExecutionCompletedEventAttributes;
  if (completed) {
    const status = decode<RolloutStatus>(completed.result);
    return `rollout ended ${status?.state}${status?.reasons.length ? `: ${status.reasons.join('; ')}` : ''}`;
  }
  if (e.workflowExecutionFailedEventAttributes) return `rollout failed: ${e.workflowExecutionFailedEventAttributes.failure?.message}`;
  if (e.workflowExecutionTerminatedEventAttributes) return `rollout terminated: ${e.workflowExecutionTerminatedEventAttributes.reason}`;
  return undefined;
}

/**
 * Every payload of an event run through the client's codecs, so encrypted
 * history reads like plain history (for whoever holds the keys).
 */
async function decodeEvent(e: Event, codecs: PayloadCodec[]): Promise<Event> {
  if (codecs.length === 0) return e;
  // In place, so protobuf messages keep their prototypes (Long timestamps among them).
  const walk = async (node: unknown): Promise<void> => {
    if (!node || typeof node !== 'object' || ArrayBuffer.isView(node)) return;
    for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
      if (k === 'payloads' && Array.isArray(v)) {
        let payloads = v as Payload[];
        for (const c of [...codecs].reverse()) payloads = await c.decode(payloads);
        (node as Record<string, unknown>)[k] = payloads;
      } else if (k === 'summary' && v && typeof v === 'object' && 'data' in v) {
        let one = [v as Payload];
        for (const c of [...codecs].reverse()) one = await c.decode(one);
        (node as Record<string, unknown>)[k] = one[0];
      } else await walk(v);
    }
  };
  await walk(e);
  return e;
}

/** What happened to a rollout, when and why, read from its Temporal history: the audit trail. */
export async function rolloutTimeline(client: Client, workflowId: string, codecs: PayloadCodec[] = []): Promise<TimelineEntry[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const out: TimelineEntry[] = [];
  for (const raw of history.events ?? []) {
    const e = await decodeEvent(raw, codecs);
    const what = describe(e);
    if (what) out.push({ at: new Date(tsToMs(e.eventTime)).toISOString(), what });
  }
  return out;
}

/** A rollout's own timeline and the clusters' lines of a batched rollout (in MongoDB, written by its wave and batch workflows), in time order. */
export async function rolloutHistory(client: Client, rollouts: RolloutStore, commit: string, codecs: PayloadCodec[] = []): Promise<TimelineEntry[]> {
  const own = await rolloutTimeline(client, rolloutWorkflowId(commit), codecs);
  const batched = await rollouts.eventsUnder(rolloutWaveWorkflowId(rolloutWorkflowId(commit), ''));
  return [...own, ...batched.map((e) => ({ at: e.at.toISOString(), what: e.message }))].sort((a, b) => a.at.localeCompare(b.at));
}
