import * as fs from 'node:fs';
import * as path from 'node:path';
import { AnchorChain } from '../../chain/anchor-chain';
import { batcherSettings } from '../../config/chain-config';
import { AnchorStore } from '../../stores/anchor-store';
import { SessionStore } from '../../stores/session-store';
import { queueForAnchoring } from '../../triggers/anchor-batcher';
import type { AnchorBatchResult } from '../../workflows/anchor-types';
import type { SessionManifest } from '../../workflows/session-types';
import { anchorBatchWorkflowId } from '../../workflows/task-queues';
import { FleetHarness } from '../support/fleet-harness';
import { eventually, storedSession } from './anchor-fixtures';

// Batches close at 3 sessions or 2 s: five sessions make one full batch and one closed by time.
const SETTINGS = { LUCID_ANCHOR_MAX_BATCH: '3', LUCID_ANCHOR_MAX_WAIT_SECONDS: '2', LUCID_ANCHOR_CONFIRMATIONS: '1' };
let h: FleetHarness;
let sessions: SessionStore;
let anchors: AnchorStore;
let chain: AnchorChain;
const recorded: SessionManifest[] = [];

beforeAll(async () => {
  Object.assign(process.env, SETTINGS);
  h = await FleetHarness.start('anchoring', []);
  sessions = new SessionStore(h.db);
  anchors = new AnchorStore(h.db);
  chain = new AnchorChain(h.chainEndpoint);
  await h.startControlWorker();
  await h.startChainWorker();
});
afterAll(async () => {
  for (const k of Object.keys(SETTINGS)) delete process.env[k];
  await h?.close();
});

const anchored = (id: string) => eventually(`session ${id} anchored`, async () => (await sessions.get(id))?.anchored);
const cli = (args: string[]) => h.cli(args);

describe('anchoring stored sessions on the chain', () => {
  it('batches five sessions into two transactions, one Anchored event per batch, each session with its proof', async () => {
    for (let i = 0; i < 5; i++) {
      const m = await storedSession(sessions, 'n-anchor');
      recorded.push(m);
      await queueForAnchoring(h.client, { sessionId: m.sessionId, root: m.root }, batcherSettings());
    }
    const marks = await Promise.all(recorded.map((m) => anchored(m.sessionId)));
    const batches = [...new Set(marks.map((a) => a.batchId))];
    expect(batches).toHaveLength(2);
    for (const batchId of batches) {
      const doc = (await anchors.batch(batchId))!;
      expect(doc.receipt).toBeDefined();
      const result = (await h.client.workflow.getHandle(anchorBatchWorkflowId(batchId)).result()) as AnchorBatchResult;
      expect(result).toMatchObject({ batchId, signatures: 1, broadcasts: 1 });
      // The chain is the ground truth: its root for the batch, and exactly one event for it.
      expect(await chain.anchoredRoot(batchId as `0x${string}`)).toBe(doc.root);
      const head = (await chain.head()).number;
      const events = (await chain.anchoredEvents(h.stack.chainDeployBlock, head)).filter((e) => e.batchId === batchId);
      expect(events).toHaveLength(1);
      expect(events[0]!.txHash).toBe(doc.receipt!.txHash);
    }
    expect(batches.map((b) => [...marks].filter((m) => m.batchId === b).length).sort()).toEqual([2, 3]);
  });

  it('queuing a session again never anchors it in a second batch', async () => {
    const m = recorded[0]!;
    const before = (await sessions.get(m.sessionId))!.anchored!;
    await queueForAnchoring(h.client, { sessionId: m.sessionId, root: m.root }, batcherSettings());
    const fresh = await storedSession(sessions, 'n-anchor');
    await queueForAnchoring(h.client, { sessionId: fresh.sessionId, root: fresh.root }, batcherSettings());
    const next = await anchored(fresh.sessionId);
    expect(next.batchId).not.toBe(before.batchId);
    expect((await anchors.batch(next.batchId))!.sessions.map((s) => s.sessionId)).toEqual([fresh.sessionId]);
    expect((await sessions.get(m.sessionId))!.anchored).toEqual(before);
  });

  it('session proof writes a self-contained document that proof verify accepts offline and against the chain', async () => {
    const m = recorded[1]!;
    const file = path.join(h.dataDir, 'proof.json');
    const proof = await cli(['session', 'proof', m.sessionId, '-o', file]);
    expect(proof.code).toBe(0);
    const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(doc).toMatchObject({ v: 1, sessionId: m.sessionId, sessionRoot: `0x${m.root}`, anchor: { chainId: h.stack.chainId, contract: h.stack.chainContract } });
    expect((await cli(['proof', 'verify', file])).code).toBe(0);
    const online = await cli(['proof', 'verify', file, '--rpc', h.stack.chainRpc, '--json']);
    expect(online.code).toBe(0);
    expect(JSON.parse(online.stdout)).toMatchObject({ ok: true });

    const chunk = await cli(['session', 'proof', m.sessionId, '--chunk', '2', '-o', file]);
    expect(chunk.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).chunk).toMatchObject({ index: 2, leaf: `0x${m.chunks[2]!.leaf}`, count: 3 });
    expect((await cli(['proof', 'verify', file, '--rpc', h.stack.chainRpc])).code).toBe(0);
  });

  it('refuses a tampered proof, naming what failed', async () => {
    const m = recorded[2]!;
    const good = JSON.parse((await cli(['session', 'proof', m.sessionId])).stdout);
    const other = JSON.parse((await cli(['session', 'proof', recorded[3]!.sessionId])).stdout);
    const flip = (hex: string) => `${hex.slice(0, -1)}${hex.endsWith('0') ? '1' : '0'}`;
    const cases: Array<[string, object, RegExp]> = [
      ['a flipped path byte', { ...good, path: [flip(good.path[0]), ...good.path.slice(1)] }, /path|root/i],
      ['a wrong index', { ...good, leafIndex: (good.leafIndex + 1) % good.treeSize }, /path|root|index/i],
      ["another session's root", { ...good, sessionRoot: other.sessionRoot }, /path|root/i],
      ['another chain id', { ...good, anchor: { ...good.anchor, chainId: 1 } }, /chain/i],
    ];
    for (const [what, doc, named] of cases) {
      const file = path.join(h.dataDir, 'tampered.json');
      fs.writeFileSync(file, JSON.stringify(doc));
      const r = await cli(['proof', 'verify', file, '--rpc', h.stack.chainRpc]);
      expect([what, r.code]).toEqual([what, 5]);
      expect(r.stderr).toMatch(/INVALID/);
      expect([what, r.stderr]).toEqual([what, expect.stringMatching(named)]);
    }
  });

  it('anchor status reports the queue, the last batch, the chain head, the event index and anchor latency', async () => {
    const status = await cli(['anchor', 'status', '--json']);
    expect(status.code).toBe(0);
    const s = JSON.parse(status.stdout);
    expect(s).toMatchObject({ pending: 0, failed: [] });
    expect(s.lastBatch).toMatchObject({ count: 1 });
    expect(s.chainHead).toBeGreaterThanOrEqual(s.lastBatch.block);
    expect(s.latencySeconds.p50).toBeGreaterThan(0);
    expect(s.latencySeconds.p95).toBeGreaterThanOrEqual(s.latencySeconds.p50);
    await eventually('the indexer to reach the chain head', async () => (await anchors.cursor()).next > s.lastBatch.block);
    expect(await anchors.eventsOf(s.lastBatch.id)).toHaveLength(1);
  });

  it('/metrics shows the anchor queue depth, anchor latency and indexer lag', async () => {
    const port = 18790 + Number(process.env.LUCID_TEST_PORT_OFFSET ?? 0);
    const server = await h.serve(port, { LUCID_WEBHOOK_SECRET: 'x'.repeat(32) });
    try {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(text).toMatch(/^lucid_anchor_queue_depth 0$/m);
      expect(text).toMatch(/^lucid_anchor_latency_seconds\{quantile="0.5"\} \d/m);
      expect(text).toMatch(/^lucid_anchor_latency_seconds\{quantile="0.95"\} \d/m);
      expect(text).toMatch(/^lucid_anchor_indexer_lag_blocks \d+$/m);
    } finally {
      server.kill('SIGTERM');
    }
  });

  it('the event index stores a page read twice once, and what is new in it', async () => {
    const head = (await chain.head()).number;
    const page = (await chain.anchoredEvents(h.stack.chainDeployBlock, head)).map((e) => ({ ...e, blockNumber: Number(e.blockNumber) }));
    const before = await anchors.eventCount();
    await anchors.addEvents(page);
    expect(await anchors.eventCount()).toBe(before);
    // A made-up event far above the head, so that dropping it touches nothing real.
    const other = { ...page[0]!, batchId: `0x${'cd'.repeat(32)}`, txHash: `0x${'ab'.repeat(32)}`, logIndex: 0, blockNumber: head + 1000 };
    await anchors.addEvents([...page, other]);
    expect(await anchors.eventCount()).toBe(before + 1);
    expect(await anchors.dropEventsFrom(head + 1000)).toEqual([other.batchId]);
    expect(await anchors.eventCount()).toBe(before);
  });

  it('chain reindex rebuilds the event index from a block', async () => {
    const before = await anchors.eventCount();
    const r = await cli(['chain', 'reindex', '--from', String(h.stack.chainDeployBlock), '--json']);
    expect([r.code, r.stderr]).toEqual([0, expect.anything()]);
    expect(await anchors.eventCount()).toBe(before);
  });
});
