import * as fs from 'node:fs';
import * as path from 'node:path';
import { AnchorChain } from '../../chain/anchor-chain';
import { batcherSettings } from '../../config/chain-config';
import { AnchorStore } from '../../stores/anchor-store';
import { SessionStore } from '../../stores/session-store';
import { ensureAnchorIndexer } from '../../triggers/anchor-indexer';
import { queueForAnchoring } from '../../triggers/anchor-batcher';
import { queueForAnchorSignal } from '../../workflows/anchor-messages';
import type { AnchorBatchResult, AnchorReceipt } from '../../workflows/anchor-types';
import type { SessionManifest } from '../../workflows/session-types';
import { ANCHOR_BATCHER_ID, ANCHOR_INDEXER_ID, anchorBatchWorkflowId } from '../../workflows/task-queues';
import { FleetHarness } from '../support/fleet-harness';
import { PrivateChain } from '../support/private-chain';
import { eventually, storedSession } from './anchor-fixtures';

// The chain dumps its state only when stopped cleanly: a kill -9 loses every block since.
const SETTINGS = { LUCID_ANCHOR_MAX_BATCH: '3', LUCID_ANCHOR_MAX_WAIT_SECONDS: '1', LUCID_ANCHOR_CONFIRMATIONS: '1' };
let h: FleetHarness;
let chain: PrivateChain;
let reader: AnchorChain;
let sessions: SessionStore;
let anchors: AnchorStore;

beforeAll(async () => {
  Object.assign(process.env, SETTINGS);
  h = await FleetHarness.start('anchor-lost-block', []);
  sessions = new SessionStore(h.db);
  anchors = new AnchorStore(h.db);
  chain = await PrivateChain.start({ port: h.stack.chainPort + 22, dir: path.join(h.dataDir, 'chain'), stateIntervalSeconds: 3600 });
  reader = new AnchorChain(chain.endpoint);
  await h.startControlWorker(chain.endpoint);
  await h.startChainWorker({ privateKey: chain.anchorKey, endpoint: chain.endpoint });
});
afterAll(async () => {
  for (const k of Object.keys(SETTINGS)) delete process.env[k];
  await h?.close();
  await chain?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const chainVars = () => chain.vars;

async function anchoredBatch(batch: SessionManifest[]): Promise<{ batchId: string; receipt: AnchorReceipt; hash: string }> {
  const first = batch[0]!.sessionId;
  const mark = await eventually('the batch to be anchored', async () => (await sessions.get(first))?.anchored);
  const doc = (await anchors.batch(mark.batchId))!;
  return { batchId: mark.batchId, receipt: doc.receipt!, hash: doc.signed!.hash };
}

/** Kills the chain with -9 and starts it on its state file: the anchor's block must be gone. */
async function loseTheBlock(batchId: string, receipt: AnchorReceipt): Promise<void> {
  // A block re-mined in the same second on the same parent with the same bytes would be the very same block.
  await sleep(1100);
  await chain.kill9();
  await chain.up();
  expect(await chain.head()).toBeLessThan(receipt.blockNumber);
  expect(await reader.anchoredRoot(batchId as `0x${string}`)).toBeNull();
  expect(await reader.receipt(receipt.txHash as `0x${string}`)).toBeNull();
}

/** Anchored again under the same batch id, from the same signed bytes, in a block of the restarted chain; the proofs follow. */
async function expectAnchoredAgain(batch: SessionManifest[], lost: { batchId: string; receipt: AnchorReceipt; hash: string }): Promise<void> {
  const { batchId } = lost;
  const again = await eventually('the batch to be anchored again', async () => {
    const a = await anchors.anchorOf(batch[0]!.sessionId);
    return a && a.receipt.blockHash !== lost.receipt.blockHash ? a.receipt : undefined;
  });
  const result = (await h.client.workflow.getHandle(anchorBatchWorkflowId(batchId)).result()) as AnchorBatchResult;
  // The nonce the lost transaction used is free again on the restarted chain: the stored bytes are valid and sent as they are.
  expect(result).toMatchObject({ batchId, signatures: 0, broadcasts: 1, receipt: again });
  expect(again.txHash).toBe(lost.hash);
  expect(await chain.head()).toBeGreaterThanOrEqual(again.blockNumber);
  expect((await reader.receipt(again.txHash as `0x${string}`))!.blockHash).toBe(again.blockHash);

  const events = (await reader.anchoredEvents(0, await chain.head())).filter((e) => e.batchId === batchId);
  expect(events).toHaveLength(1);
  expect(events[0]).toMatchObject({ txHash: again.txHash, blockHash: again.blockHash });
  // The event index followed the chain: the lost event is gone from it, the new one is there.
  await eventually('the index to hold the new event', async () => {
    const indexed = await anchors.eventsOf(batchId);
    return indexed.length === 1 && indexed[0]!.blockHash === again.blockHash;
  });
  for (const m of batch) expect((await sessions.get(m.sessionId))!.anchored).toMatchObject({ batchId, blockNumber: again.blockNumber });

  const file = path.join(h.dataDir, `proof-${batchId.slice(2, 10)}.json`);
  const proof = await h.cli(['session', 'proof', batch[1]!.sessionId, '-o', file], chainVars());
  expect(proof.code).toBe(0);
  expect(JSON.parse(fs.readFileSync(file, 'utf8')).anchor).toMatchObject({ txHash: again.txHash, blockNumber: again.blockNumber, blockHash: again.blockHash });
  const verify = await h.cli(['proof', 'verify', file, '--rpc', chain.rpcUrl, '--json'], chainVars());
  expect([verify.code, verify.stderr]).toEqual([0, expect.stringContaining('valid')]);
  expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true });
}

describe('a hard-killed chain that lost the batch block', () => {
  it('the indexer had read the anchor: it rewinds below the restarted head, anchors the batch again, and indexes the new event', async () => {
    const warmup = await storedSession(sessions, 'n-lost-block');
    await queueForAnchoring(h.client, { sessionId: warmup.sessionId, root: warmup.root }, batcherSettings());
    await anchoredBatch([warmup]);
    await eventually('the indexer to catch up', async () => (await anchors.cursor()).next > (await chain.head()));
    await chain.restart(); // a clean stop: everything so far is in the state file, and the head a kill -9 comes back to
    // Caught up, the indexer pauses; empty blocks and the anchor then come in one page, so the index records no hash
    // of the blocks just above the head the chain will come back with.
    await chain.rpc('anvil_mine', ['0x4']);
    const batch = await Promise.all([0, 1, 2].map(() => storedSession(sessions, 'n-lost-block')));
    for (const m of batch) await queueForAnchoring(h.client, { sessionId: m.sessionId, root: m.root }, batcherSettings());
    const lost = await anchoredBatch(batch);
    await eventually('the indexer to read the anchor', async () => (await anchors.eventsOf(lost.batchId)).length === 1);

    await loseTheBlock(lost.batchId, lost.receipt);
    await expectAnchoredAgain(batch, lost);
  });

  it('the indexer had not read the anchor yet: the anchor receipt block is checked too, and the batch is anchored again', async () => {
    await chain.restart(); // a clean stop keeps everything so far
    await h.client.workflow.getHandle(ANCHOR_INDEXER_ID).terminate('the anchor must come before the index reads it');
    const batch = await Promise.all([0, 1, 2].map(() => storedSession(sessions, 'n-lost-block')));
    const batcher = h.client.workflow.getHandle(ANCHOR_BATCHER_ID);
    for (const m of batch) await batcher.signal(queueForAnchorSignal, { sessionId: m.sessionId, root: m.root });
    const lost = await anchoredBatch(batch);
    expect((await anchors.cursor()).next).toBeLessThanOrEqual(lost.receipt.blockNumber);
    expect(await anchors.eventsOf(lost.batchId)).toEqual([]);

    await loseTheBlock(lost.batchId, lost.receipt);
    await ensureAnchorIndexer(h.client);
    await expectAnchoredAgain(batch, lost);
  });
});
