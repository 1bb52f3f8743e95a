import * as path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { lucidDataConverter } from '../../workers/payload-codec';
import { testKeys } from './test-payload-keys';

/**
 * Workflow code must stay replayable for workflows already running. The histories committed here were
 * recorded from earlier versions; `LUCID_RECORD_HISTORIES=1 npm test` refreshes them with one history per
 * workflow type and outcome of the run.
 */
export const HISTORY_FIXTURES = path.join(__dirname, '..', 'fixtures', 'histories');

export interface RecordedHistory {
  workflowId: string;
  history: unknown;
}

/** Replays each history against the bundled workflow code; one line per history that no longer replays. */
export async function replayHistories(workflowBundle: WorkflowBundleOption, histories: RecordedHistory[]): Promise<string[]> {
  const failures: string[] = [];
  const results = Worker.runReplayHistories(
    // Some suites encrypt their payloads; replay decodes them with the same test keys.
    { workflowBundle, dataConverter: lucidDataConverter(testKeys()) },
    histories.map((h) => ({ workflowId: h.workflowId, history: historyFromJSON(h.history) })),
  );
  for await (const r of results) if (r.error) failures.push(`${r.workflowId}: ${r.error.message}`);
  return failures;
}
