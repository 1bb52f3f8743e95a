import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { HISTORY_FIXTURES, replayHistories } from '../support/replay-histories';
import { testStack } from '../support/test-stack';

/**
 * Depends on every other integration suite: it replays the workflows they closed on the run's test server,
 * so test/suite-order.js runs it last.
 */
let client: Client;
beforeAll(async () => {
  client = new Client({ connection: await Connection.connect({ address: testStack().temporalAddress }), namespace: 'lucid' });
});
afterAll(() => client?.connection.close());

describe('replay of recorded workflow histories, after every other suite', () => {
  it('replays every workflow this run closed', async () => {
    const histories: Array<{ workflowId: string; type: string; outcome: string; history: unknown }> = [];
    for await (const wf of client.workflow.list({ query: `ExecutionStatus != 'Running'` })) {
      const history = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
      const outcome = String(wf.searchAttributes?.LucidOutcome?.[0] ?? wf.status.name);
      // The real id: workflow code may derive child ids from it.
      histories.push({ workflowId: wf.workflowId, type: wf.type, outcome, history: JSON.parse(historyToJSON(history)) });
    }
    expect(await replayHistories({ codePath: testStack().workflowBundle }, histories)).toEqual([]);

    if (process.env.LUCID_RECORD_HISTORIES) {
      const seen = new Set<string>();
      for (const h of histories) {
        // A batch's steps are different code paths: one fixture each.
        const step = h.type === 'rolloutBatch' ? /-(reconcile|recheck|revert)-batch-\d+$/.exec(h.workflowId)?.[1] : undefined;
        const key = `${h.type}-${step ? `${step}-` : ''}${h.outcome}`.replace(/[^a-zA-Z0-9_-]/g, '_');
        if (seen.has(key)) continue;
        seen.add(key);
        fs.writeFileSync(path.join(HISTORY_FIXTURES, `${key}.json`), `${JSON.stringify({ workflowId: h.workflowId, history: h.history })}\n`);
      }
    }
  });
});
