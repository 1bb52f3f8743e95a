import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { lucidDataConverter } from '../../workers/payload-codec';
import { testKeys } from '../support/test-payload-keys';
import { testStack } from '../support/test-stack';

/**
 * Workflow code must stay replayable for workflows already running. Two sets
 * of histories are replayed against the current code: the fixtures recorded
 * from earlier versions (committed under fixtures/histories), and every closed
 * workflow this test run produced. `LUCID_RECORD_HISTORIES=1` refreshes the
 * fixtures with one history per workflow type and outcome.
 */
const FIXTURES = path.join(__dirname, '..', 'fixtures', 'histories');
const WORKFLOW_TYPES = ['reconcileCluster', 'rollout', 'driftCheck', 'pollConfigRepo', 'observeCluster', 'session'];

let client: Client;
beforeAll(async () => {
  client = new Client({ connection: await Connection.connect({ address: testStack().temporalAddress }), namespace: 'lucid' });
});
afterAll(() => client?.connection.close());

async function replay(histories: Array<{ workflowId: string; history: unknown }>): Promise<string[]> {
  const failures: string[] = [];
  const results = Worker.runReplayHistories(
    // Some suites encrypt their payloads; replay decodes them with the same test keys.
    { workflowBundle: { codePath: testStack().workflowBundle }, dataConverter: lucidDataConverter(testKeys()) },
    histories.map((h) => ({ workflowId: h.workflowId, history: historyFromJSON(h.history) })),
  );
  for await (const r of results) if (r.error) failures.push(`${r.workflowId}: ${r.error.message}`);
  return failures;
}

describe('replay of recorded workflow histories', () => {
  it('replays every committed fixture history', async () => {
    const files = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));
    for (const t of WORKFLOW_TYPES) expect(files.some((f) => f.startsWith(`${t}-`))).toBe(true);
    const histories = files.map((f) => JSON.parse(fs.readFileSync(path.join(FIXTURES, f), 'utf8')) as { workflowId: string; history: unknown });
    expect(await replay(histories)).toEqual([]);
  });

  it('replays every workflow this run closed', async () => {
    const histories: Array<{ workflowId: string; type: string; outcome: string; history: unknown }> = [];
    for await (const wf of client.workflow.list({ query: `ExecutionStatus != 'Running'` })) {
      const history = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
      const outcome = String(wf.searchAttributes?.LucidOutcome?.[0] ?? wf.status.name);
      // The real id: workflow code may derive child ids from it.
      histories.push({ workflowId: wf.workflowId, type: wf.type, outcome, history: JSON.parse(historyToJSON(history)) });
    }
    expect(await replay(histories)).toEqual([]);

    if (process.env.LUCID_RECORD_HISTORIES) {
      const seen = new Set<string>();
      for (const h of histories) {
        const key = `${h.type}-${h.outcome}`.replace(/[^a-zA-Z0-9_-]/g, '_');
        if (seen.has(key)) continue;
        seen.add(key);
        fs.writeFileSync(path.join(FIXTURES, `${key}.json`), `${JSON.stringify({ workflowId: h.workflowId, history: h.history })}\n`);
      }
    }
  });
});
