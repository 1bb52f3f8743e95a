import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';

/** The proposal workflow's start input and the updates it accepted, each with its payload: who did what, from history. */
export async function reviewInHistory(client: Client, id: number): Promise<{ started: unknown; updates: Array<[string, ...unknown[]]> }> {
  const events = (await client.workflow.getHandle(`proposal-${id}`).fetchHistory()).events ?? [];
  type Payloads = Parameters<typeof defaultPayloadConverter.fromPayload>[0][] | null | undefined;
  const decode = (payloads: Payloads) => (payloads ?? []).map((p) => defaultPayloadConverter.fromPayload(p));
  const started = decode(events[0]!.workflowExecutionStartedEventAttributes!.input?.payloads)[0];
  const updates = events
    .map((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input)
    .filter((input) => input !== undefined && input !== null)
    .map((input): [string, ...unknown[]] => [input.name!, ...decode(input.args?.payloads)]);
  return { started, updates };
}
