import { AnchorChain } from '../../chain/anchor-chain';
import { batcherSettings } from '../../config/chain-config';
import { AnchorStore } from '../../stores/anchor-store';
import { SessionStore } from '../../stores/session-store';
import { buildBatchTree, sessionLeaf } from '../../anchoring/batch-tree';
import { queueForAnchoring, startAnchorBatch } from '../../triggers/anchor-batcher';
import { SEARCH_ATTRIBUTE_VALUE_BYTES, sessionsThatFit } from '../../workflows/anchor-batch';
import { batcherStatusQuery } from '../../workflows/anchor-messages';
import { BATCHES_PER_BATCHER_RUN, type AnchorBatchResult } from '../../workflows/anchor-types';
import { ANCHOR_BATCHER_ID, anchorBatchWorkflowId } from '../../workflows/task-queues';
import type { SessionManifest } from '../../workflows/session-types';
import { FleetHarness } from '../support/fleet-harness';
import { eventually, storedSession } from './anchor-fixtures';

// One session a batch: the batcher reaches its batches per run quickly.
const SETTINGS = { LUCID_ANCHOR_MAX_BATCH: '1', LUCID_ANCHOR_MAX_WAIT_SECONDS: '1', LUCID_ANCHOR_CONFIRMATIONS: '1' };
let h: FleetHarness;
let sessions: SessionStore;
let anchors: AnchorStore;

beforeAll(async () => {
  Object.assign(process.env, SETTINGS);
  h = await FleetHarness.start('anchor-batcher-runs', []);
  sessions = new SessionStore(h.db);
  anchors = new AnchorStore(h.db);
  await h.startControlWorker();
  await h.startChainWorker();
});
afterAll(async () => {
  for (const k of Object.keys(SETTINGS)) delete process.env[k];
  await h?.close();
});

describe('the anchor batcher over many batches', () => {
  it('continues as new after its batches per run, carrying the sessions it holds: none lost, none anchored twice', async () => {
    const n = BATCHES_PER_BATCHER_RUN + 2;
    const all = await Promise.all(Array.from({ length: n }, () => storedSession(sessions, 'n-batcher-runs')));
    // All queued before the first batch is anchored: the first run ends holding the last two.
    for (const m of all) await queueForAnchoring(h.client, { sessionId: m.sessionId, root: m.root }, batcherSettings());
    const marks = [];
    for (const m of all) marks.push(await eventually(`session ${m.sessionId} anchored`, async () => (await sessions.get(m.sessionId))?.anchored, 120_000));
    expect(new Set(marks.map((a) => a.batchId)).size).toBe(n);

    const runs = [];
    for await (const wf of h.client.workflow.list({ query: `WorkflowId = '${ANCHOR_BATCHER_ID}'` })) runs.push(wf);
    expect(runs.map((r) => r.status.name).sort()).toEqual(['CONTINUED_AS_NEW', 'RUNNING']);
    // The last child marks its sessions anchored just before the batcher counts it.
    const batcher = h.client.workflow.getHandle(ANCHOR_BATCHER_ID);
    await eventually('the new run to count its two batches', async () => (await batcher.query(batcherStatusQuery)).batchesThisRun === 2);
    expect(await batcher.query(batcherStatusQuery)).toMatchObject({ pending: 0, batchesThisRun: 2 });

    const chain = new AnchorChain(h.chainEndpoint);
    const events = await chain.anchoredEvents(h.stack.chainDeployBlock, (await chain.head()).number);
    for (const a of marks) {
      expect(events.filter((e) => e.batchId === a.batchId).map((e) => e.txHash)).toEqual([a.txHash]);
      expect(await anchors.eventsOf(a.batchId).then((e) => e.length)).toBeLessThanOrEqual(1);
    }
  });

  it('a full batch of 64 sessions, more ids than a search attribute holds, is anchored; the UI finds it by batch and by the sessions that fit', async () => {
    const members = await Promise.all(Array.from({ length: 64 }, () => storedSession(sessions, 'n-batcher-runs')));
    const tree = buildBatchTree(members.map((m) => sessionLeaf(m.sessionId, `0x${m.root}`)));
    const batch = { batchId: tree.id, root: tree.root, count: 64, sessionIds: members.map((m) => m.sessionId) };
    expect(JSON.stringify(batch.sessionIds).length).toBeGreaterThan(SEARCH_ATTRIBUTE_VALUE_BYTES);
    await anchors.seal(batch, members.map((m) => ({ sessionId: m.sessionId, root: m.root })));
    const handle = h.client.workflow.getHandle(await startAnchorBatch(h.client, batch, 1));
    expect((await handle.result()) as AnchorBatchResult).toMatchObject({ batchId: tree.id, count: 64, signatures: 1, broadcasts: 1 });
    for (const m of members) expect((await sessions.get(m.sessionId))!.anchored).toMatchObject({ batchId: tree.id });

    const fit = sessionsThatFit(batch.sessionIds);
    expect(fit).toEqual(batch.sessionIds.slice(0, fit.length));
    expect(JSON.stringify(fit).length).toBeLessThanOrEqual(SEARCH_ATTRIBUTE_VALUE_BYTES);
    expect(fit.length).toBeGreaterThanOrEqual(50);
    const found = async (query: string) => {
      const ids: string[] = [];
      for await (const wf of h.client.workflow.list({ query })) ids.push(wf.workflowId);
      return ids;
    };
    const id = anchorBatchWorkflowId(tree.id);
    await eventually('the batch to be visible', async () => (await found(`LucidBatch = '${tree.id}'`)).includes(id));
    expect(await found(`LucidSession = '${fit[fit.length - 1]}'`)).toEqual([id]);
    expect(await found(`LucidSession = '${batch.sessionIds[63]}'`)).toEqual([]);
  });

  it('maxWait counts from the first waiting session: one that came while a batch was anchored closes its batch once the batcher is free', async () => {
    await h.client.workflow.getHandle(ANCHOR_BATCHER_ID).terminate('this test starts the batcher with its own settings').catch(() => undefined);
    const settings = { maxBatch: 3, maxWaitSeconds: 2, confirmations: 1 };
    const queue = (m: SessionManifest) => queueForAnchoring(h.client, { sessionId: m.sessionId, root: m.root }, settings);
    await h.stopWorker('chain'); // the first batch cannot be anchored yet
    const first = await Promise.all([0, 1, 2].map(() => storedSession(sessions, 'n-batcher-runs')));
    for (const m of first) await queue(m);
    await eventually('the first batch to be sealed', async () => (await anchors.batchesOf([first[0]!.sessionId])).get(first[0]!.sessionId));
    const late = await storedSession(sessions, 'n-batcher-runs');
    await queue(late);
    await new Promise((r) => setTimeout(r, (settings.maxWaitSeconds + 0.5) * 1000)); // the late session has waited its maxWait

    await h.startChainWorker();
    const one = (await anchors.batch((await eventually('the first batch', async () => (await sessions.get(first[0]!.sessionId))?.anchored)).batchId))!;
    const two = (await anchors.batch((await eventually('the late session', async () => (await sessions.get(late.sessionId))?.anchored)).batchId))!;
    expect(two.sessions.map((x) => x.sessionId)).toEqual([late.sessionId]);
    // Sealed as soon as the first batch was done, not maxWait after.
    expect(two.sealedAt.getTime() - one.anchoredAt!.getTime()).toBeLessThan(1000);
  });
});
