import * as fs from 'node:fs';
import * as path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { createPublicClient, http, keccak256, toHex, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { buildBatchTree, sessionLeaf } from '../../anchoring/batch-tree';
import { AnchorChain, type SignedAnchor } from '../../chain/anchor-chain';
import { readChainKeyFile } from '../../chain/chain-key';
import { batcherSettings } from '../../config/chain-config';
import { AnchorStore } from '../../stores/anchor-store';
import { SessionStore } from '../../stores/session-store';
import { queueForAnchoring, startAnchorBatch } from '../../triggers/anchor-batcher';
import { batcherStatusQuery } from '../../workflows/anchor-messages';
import type { AnchorBatchResult } from '../../workflows/anchor-types';
import type { SessionManifest } from '../../workflows/session-types';
import { ANCHOR_BATCHER_ID, anchorBatchWorkflowId } from '../../workflows/task-queues';
import { FleetHarness } from '../support/fleet-harness';
import { eventually, storedSession } from './anchor-fixtures';

// The stack's chain and contract; three sessions close a batch.
const SETTINGS = { LUCID_ANCHOR_MAX_BATCH: '3', LUCID_ANCHOR_MAX_WAIT_SECONDS: '1', LUCID_ANCHOR_CONFIRMATIONS: '1' };
let h: FleetHarness;
let chain: AnchorChain;
let key: Hex;
let sessions: SessionStore;
let anchors: AnchorStore;

beforeAll(async () => {
  Object.assign(process.env, SETTINGS);
  h = await FleetHarness.start('anchor-refusals', []);
  sessions = new SessionStore(h.db);
  anchors = new AnchorStore(h.db);
  chain = new AnchorChain(h.chainEndpoint);
  key = readChainKeyFile(h.stack.chainKeyFile);
  await h.startControlWorker();
});
afterAll(async () => {
  for (const k of Object.keys(SETTINGS)) delete process.env[k];
  await h?.close();
});

const queue = async (ms: SessionManifest[]) => {
  for (const m of ms) await queueForAnchoring(h.client, { sessionId: m.sessionId, root: m.root }, batcherSettings());
};
const threeSessions = () => Promise.all([0, 1, 2].map(() => storedSession(sessions, 'n-refusals')));
const sealedBatch = (m: SessionManifest) =>
  eventually(`the batch of ${m.sessionId} to be sealed`, async () => (await anchors.batchesOf([m.sessionId])).get(m.sessionId));
const anchored = (m: SessionManifest) => eventually(`session ${m.sessionId} anchored`, async () => (await sessions.get(m.sessionId))?.anchored);
const eventsOf = async (batchId: string) =>
  (await chain.anchoredEvents(h.stack.chainDeployBlock, (await chain.head()).number)).filter((e) => e.batchId === batchId);
const status = async () => {
  const r = await h.cli(['anchor', 'status', '--json']);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
};

/** The batch's anchor workflow once the batcher has started it (it seals the batch first). */
async function anchorWorkflow(batchId: string) {
  const handle = h.client.workflow.getHandle(anchorBatchWorkflowId(batchId));
  await eventually(`anchor-${batchId} started`, () => handle.describe().then(() => true, () => false));
  return handle;
}

/** The innermost failure of a failed workflow: [type, message]. */
async function failureOf(batchId: string): Promise<[string | undefined, string]> {
  const err = await (await anchorWorkflow(batchId)).result().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  let cause = (err as Error).cause as (Error & { type?: string }) | undefined;
  while (cause?.cause) cause = cause.cause as Error & { type?: string };
  return [cause?.type, cause?.message ?? ''];
}

/** `anchor(batchId, root, 3)` sent by the stack's own key, outside Lucid; resolves once mined. */
async function anchorDirectly(batchId: Hex, root: Hex): Promise<SignedAnchor> {
  const signed = await chain.signAnchor(key, { batchId, root, count: 3 });
  expect(await chain.broadcast(signed.raw)).toBe('accepted');
  await eventually('the direct anchor to be mined', async () => (await chain.receipt(signed.hash))?.status === 'success');
  return signed;
}

/** The chain worker with the stack's authorised key (the one an earlier test left, or a fresh one). */
async function authorisedWorker(): Promise<void> {
  await h.stopWorker('chain');
  await h.startChainWorker();
}

const treeOf = (ms: SessionManifest[]) => buildBatchTree(ms.map((m) => sessionLeaf(m.sessionId, `0x${m.root}`)));

describe('the contract refuses an anchor: Lucid reports it and goes on', () => {
  it('an unauthorised sender: the batch fails naming it, the batcher goes on, anchor retry with an authorised worker anchors it', async () => {
    const stranger = generatePrivateKey();
    await h.startChainWorker({ privateKey: stranger });
    const refused = await threeSessions();
    await queue(refused);
    const batchId = await sealedBatch(refused[0]!);
    const [type, message] = await failureOf(batchId);
    expect(type).toBe('AnchorRefused');
    expect(message).toContain(`batch ${batchId}: the contract refuses it from ${privateKeyToAccount(stranger).address} (unauthorized)`);
    expect(message).not.toContain(stranger.slice(2));

    await eventually('the refusal to be recorded', async () => (await anchors.failedBatches()).some((f) => f.batchId === batchId));
    const batcher = h.client.workflow.getHandle(ANCHOR_BATCHER_ID);
    expect((await batcher.describe()).status.name).toBe('RUNNING');
    const now = await batcher.query(batcherStatusQuery);
    expect([now.pending, now.anchoring]).toEqual([0, undefined]);
    const s = await status();
    expect(s.pending).toBe(3);
    expect(s.failed).toEqual([{ batchId, reason: expect.stringContaining('(unauthorized)') }]);
    const text = await h.cli(['anchor', 'status']);
    expect(text.stderr).toContain(`REFUSED batch ${batchId}: `);
    expect(text.stderr).toContain(`lucid anchor retry ${batchId}`);
    expect(await chain.anchoredRoot(batchId as Hex)).toBeNull();

    // The authorised key back: the batcher anchors what comes next, and the refused batch on request.
    await authorisedWorker();
    const later = await storedSession(sessions, 'n-refusals');
    await queue([later]);
    expect((await anchored(later)).batchId).not.toBe(batchId);
    expect((await sessions.get(refused[0]!.sessionId))!.anchored).toBeUndefined();

    const retry = await h.cli(['anchor', 'retry', batchId]);
    expect([retry.code, retry.stderr]).toEqual([0, expect.stringContaining(`anchoring ${batchId} again: workflow ${anchorBatchWorkflowId(batchId)}`)]);
    for (const m of refused) expect(await anchored(m)).toMatchObject({ batchId });
    const result = (await (await anchorWorkflow(batchId)).result()) as AnchorBatchResult;
    expect(result).toMatchObject({ batchId, signatures: 1, broadcasts: 1 });
    expect((await eventsOf(batchId)).map((e) => e.txHash)).toEqual([result.receipt.txHash]);
    expect(await status()).toMatchObject({ pending: 0, failed: [] });
    const again = await h.cli(['anchor', 'retry', batchId]);
    expect([again.code, again.stderr]).toEqual([2, expect.stringContaining(`batch ${batchId} is anchored already (tx ${result.receipt.txHash})`)]);
  });

  it('a batch already anchored with its root counts as anchored: no second transaction, the proofs point at the first', async () => {
    await authorisedWorker();
    const batch = await threeSessions();
    const tree = treeOf(batch);
    const first = await anchorDirectly(tree.id, tree.root);
    const nonce = await chain.nonceOf(first.from);

    await queue(batch);
    for (const m of batch) expect(await anchored(m)).toMatchObject({ batchId: tree.id, txHash: first.hash });
    const result = (await h.client.workflow.getHandle(anchorBatchWorkflowId(tree.id)).result()) as AnchorBatchResult;
    expect(result).toMatchObject({ batchId: tree.id, signatures: 0, broadcasts: 0, receipt: { txHash: first.hash } });
    expect(await chain.nonceOf(first.from)).toBe(nonce);
    expect((await eventsOf(tree.id)).map((e) => e.txHash)).toEqual([first.hash]);

    const file = path.join(h.dataDir, 'proof-already.json');
    expect((await h.cli(['session', 'proof', batch[2]!.sessionId, '-o', file])).code).toBe(0);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toMatchObject({ leafIndex: 2, batch: { id: tree.id }, anchor: { txHash: first.hash } });
    expect((await h.cli(['proof', 'verify', file, '--rpc', h.stack.chainRpc])).code).toBe(0);
  });

  it('a batch already anchored, not yet deep enough for its confirmations, is waited for, never signed again', async () => {
    await authorisedWorker();
    const batch = await threeSessions();
    const tree = treeOf(batch);
    const first = await anchorDirectly(tree.id, tree.root);
    const nonce = await chain.nonceOf(first.from);
    const sealed = { batchId: tree.id, root: tree.root, count: 3, sessionIds: batch.map((m) => m.sessionId) };
    await anchors.seal(sealed, batch.map((m) => ({ sessionId: m.sessionId, root: m.root })));
    const handle = h.client.workflow.getHandle(await startAnchorBatch(h.client, sealed, 2));
    await new Promise((r) => setTimeout(r, 2000));
    expect((await handle.describe()).status.name).toBe('RUNNING');
    expect(await chain.nonceOf(first.from)).toBe(nonce);

    await createPublicClient({ transport: http(h.stack.chainRpc) }).request({ method: 'evm_mine' as never });
    const result = (await handle.result()) as AnchorBatchResult;
    expect(result).toMatchObject({ batchId: tree.id, signatures: 0, broadcasts: 0, receipt: { txHash: first.hash } });
    expect(await chain.nonceOf(first.from)).toBe(nonce);
    for (const m of batch) expect((await sessions.get(m.sessionId))!.anchored).toMatchObject({ batchId: tree.id, txHash: first.hash });
  });

  it('a batch id anchored with another root is refused and reported; nothing is sent', async () => {
    await authorisedWorker();
    const batch = await threeSessions();
    const tree = treeOf(batch);
    const foreignRoot = keccak256(toHex(`not the batch root ${tree.id}`));
    const foreign = await anchorDirectly(tree.id, foreignRoot);
    const nonce = await chain.nonceOf(foreign.from);

    await queue(batch);
    expect(await sealedBatch(batch[0]!)).toBe(tree.id);
    const [type, message] = await failureOf(tree.id);
    expect([type, message]).toEqual(['AnchorRefused', `batch ${tree.id}: anchored on chain with another root ${foreignRoot}`]);
    await eventually('the refusal to be recorded', async () => (await anchors.failedBatches()).some((f) => f.batchId === tree.id));
    const s = await status();
    expect(s.failed).toEqual([{ batchId: tree.id, reason: `batch ${tree.id}: anchored on chain with another root ${foreignRoot}` }]);
    expect(s.pending).toBe(3);

    expect(await chain.nonceOf(foreign.from)).toBe(nonce);
    expect(await chain.anchoredRoot(tree.id)).toBe(foreignRoot);
    expect((await eventsOf(tree.id)).map((e) => e.txHash)).toEqual([foreign.hash]);
    for (const m of batch) expect((await sessions.get(m.sessionId))!.anchored).toBeUndefined();
    expect((await h.client.workflow.getHandle(ANCHOR_BATCHER_ID).describe()).status.name).toBe('RUNNING');
  });
});
