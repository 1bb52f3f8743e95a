import * as path from 'node:path';
import { AnchorChain } from '../../chain/anchor-chain';
import { batcherSettings } from '../../config/chain-config';
import { AnchorStore } from '../../stores/anchor-store';
import { SessionStore } from '../../stores/session-store';
import { queueForAnchoring } from '../../triggers/anchor-batcher';
import { batcherStatusQuery } from '../../workflows/anchor-messages';
import type { AnchorBatchResult } from '../../workflows/anchor-types';
import type { SessionManifest } from '../../workflows/session-types';
import { ANCHOR_BATCHER_ID, ANCHOR_INDEXER_ID, anchorBatchWorkflowId } from '../../workflows/task-queues';
import { FleetHarness } from '../support/fleet-harness';
import { PrivateChain } from '../support/private-chain';
import { eventually, pendingActivities, storedSession } from './anchor-fixtures';

const SETTINGS = { LUCID_ANCHOR_MAX_BATCH: '3', LUCID_ANCHOR_MAX_WAIT_SECONDS: '1', LUCID_ANCHOR_CONFIRMATIONS: '1' };
let h: FleetHarness;
let chain: PrivateChain;
let reader: AnchorChain;
let sessions: SessionStore;
let anchors: AnchorStore;

beforeAll(async () => {
  Object.assign(process.env, SETTINGS);
  h = await FleetHarness.start('anchor-chain-unreachable', []);
  sessions = new SessionStore(h.db);
  anchors = new AnchorStore(h.db);
  chain = await PrivateChain.start({ port: h.stack.chainPort + 23, dir: path.join(h.dataDir, 'chain') });
  reader = new AnchorChain(chain.endpoint);
  await h.startControlWorker(chain.endpoint);
});
afterAll(async () => {
  for (const k of Object.keys(SETTINGS)) delete process.env[k];
  await h?.close();
  await chain?.close();
});

const queue = (m: SessionManifest) => queueForAnchoring(h.client, { sessionId: m.sessionId, root: m.root }, batcherSettings());
const status = async (rpcUrl = chain.rpcUrl) => {
  const r = await h.cli(['anchor', 'status', '--json'], { ...chain.vars, LUCID_CHAIN_RPC: rpcUrl });
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
};

/** The batch a session was sealed into, once it is; its workflow retrying a chain call that `did not answer`. */
async function waitingOnTheChain(m: SessionManifest): Promise<string> {
  const batchId = await eventually('the batch to be sealed', async () => (await anchors.batchesOf([m.sessionId])).get(m.sessionId));
  const handle = h.client.workflow.getHandle(anchorBatchWorkflowId(batchId));
  const retrying = await eventually('a chain call to be retried', async () =>
    (await pendingActivities(handle)).find((a) => a.attempt >= 3 && /did not answer/.test(a.lastFailure ?? '')),
  );
  expect(retrying.type).toBe('findAnchor');
  expect((await handle.describe()).status.name).toBe('RUNNING');
  return batchId;
}

/** Anchored once the chain answers: one signature, one transaction, one event, the proofs stored. */
async function anchoredOnce(batchId: string, members: SessionManifest[]): Promise<void> {
  const result = (await h.client.workflow.getHandle(anchorBatchWorkflowId(batchId)).result()) as AnchorBatchResult;
  expect(result).toMatchObject({ batchId, signatures: 1, broadcasts: 1 });
  const events = (await reader.anchoredEvents(chain.deployBlock, await chain.head())).filter((e) => e.batchId === batchId);
  expect(events.map((e) => e.txHash)).toEqual([result.receipt.txHash]);
  for (const m of members) expect(await anchors.anchorOf(m.sessionId)).toMatchObject({ batchId, receipt: result.receipt });
}

describe('the chain unreachable', () => {
  it('the chain down: sessions wait and anchor status says so; the chain back: every session anchored, once', async () => {
    await h.startChainWorker({ privateKey: chain.anchorKey, endpoint: chain.endpoint });
    await chain.stop();
    const first = await storedSession(sessions, 'n-unreachable');
    await queue(first);
    const batchId = await waitingOnTheChain(first);
    // A second session arrives while the first batch waits: it waits in the batcher's queue.
    const second = await storedSession(sessions, 'n-unreachable');
    await queue(second);
    await eventually('the batcher to hold the second session', async () =>
      (await h.client.workflow.getHandle(ANCHOR_BATCHER_ID).query(batcherStatusQuery)).pending === 1,
    );
    const indexer = await pendingActivities(h.client.workflow.getHandle(ANCHOR_INDEXER_ID));
    expect(indexer).toEqual([expect.objectContaining({ type: 'indexAnchorEvents', lastFailure: expect.stringMatching(/did not answer/) })]);

    const down = await status();
    expect(down).toMatchObject({ pending: 2, chainHead: null, failed: [] });
    expect(down.chainError).toMatch(new RegExp(`^chain unreachable: .*chain RPC ${chain.rpcUrl} did not answer`));
    expect(await anchors.batch(batchId)).toMatchObject({ count: 1, sessions: [{ sessionId: first.sessionId, root: first.root }] });
    expect((await anchors.batch(batchId))!.signed).toBeUndefined();
    for (const m of [first, second]) expect((await sessions.get(m.sessionId))!.anchored).toBeUndefined();

    await chain.up();
    await anchoredOnce(batchId, [first]);
    const next = await eventually('the second session to be anchored', async () => (await sessions.get(second.sessionId))?.anchored);
    await anchoredOnce(next.batchId, [second]);
    const up = await status();
    expect(up).toMatchObject({ pending: 0, chainHead: await chain.head(), failed: [] });
    expect(up.chainError).toBeUndefined();
  });

  it('a chain worker pointed at a dead RPC: the batch waits; the worker restarted on the live chain anchors it', async () => {
    await chain.up(); // whatever the test before left
    await h.stopWorker('chain');
    const dead = `http://127.0.0.1:${h.stack.chainPort + 24}`;
    await h.startChainWorker({ privateKey: chain.anchorKey, endpoint: { rpcUrl: dead, contract: chain.contract } });
    const m = await storedSession(sessions, 'n-unreachable');
    await queue(m);
    const batchId = await waitingOnTheChain(m);
    const s = await status(dead);
    expect(s).toMatchObject({ pending: 1, chainHead: null });
    expect(s.chainError).toMatch(new RegExp(`chain RPC ${dead} did not answer`));

    await h.stopWorker('chain');
    await h.startChainWorker({ privateKey: chain.anchorKey, endpoint: chain.endpoint });
    await anchoredOnce(batchId, [m]);
    expect(await status()).toMatchObject({ pending: 0, failed: [] });
  });
});
