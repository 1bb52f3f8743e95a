import type { ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { AnchorChain } from '../../chain/anchor-chain';
import { batcherSettings } from '../../config/chain-config';
import { AnchorStore } from '../../stores/anchor-store';
import { SessionStore } from '../../stores/session-store';
import { queueForAnchoring } from '../../triggers/anchor-batcher';
import type { AnchorBatchResult } from '../../workflows/anchor-types';
import { anchorBatchWorkflowId } from '../../workflows/task-queues';
import { FleetHarness } from '../support/fleet-harness';
import { PrivateChain } from '../support/private-chain';
import { eventually, kill9, pendingActivities, storedSession } from './anchor-fixtures';

// Three sessions close a batch at once; the chain is this suite's own anvil, mining only when told to.
const SETTINGS = { LUCID_ANCHOR_MAX_BATCH: '3', LUCID_ANCHOR_MAX_WAIT_SECONDS: '1', LUCID_ANCHOR_CONFIRMATIONS: '1' };
let h: FleetHarness;
let chain: PrivateChain;
let reader: AnchorChain;
let sessions: SessionStore;
let anchors: AnchorStore;
let worker: ChildProcess;

beforeAll(async () => {
  Object.assign(process.env, SETTINGS);
  h = await FleetHarness.start('anchor-chain-worker-kill', []);
  sessions = new SessionStore(h.db);
  anchors = new AnchorStore(h.db);
  chain = await PrivateChain.start({ port: h.stack.chainPort + 21, dir: path.join(h.dataDir, 'chain') });
  reader = new AnchorChain(chain.endpoint);
  await h.startControlWorker(chain.endpoint);
  worker = chainWorker();
});
afterAll(async () => {
  for (const k of Object.keys(SETTINGS)) delete process.env[k];
  await h?.close();
  await chain?.close();
});

/** `lucid worker chain` as its own process: the only holder of the anchoring key. */
const chainWorker = () => h.spawnWorker('chain', 'chain', chain.vars);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * How the chain worker comes back after its kill -9:
 * - `mined-while-down`: the transaction is mined while no chain worker runs; the retried wait finds the receipt;
 * - `mined-after-restart`: the restarted worker's retried wait is polling when the block comes;
 * - `dropped-from-pool`: the node dropped the transaction while the worker was down; the same bytes are sent again.
 */
const CASES = ['mined-while-down', 'mined-after-restart', 'dropped-from-pool'] as const;

describe('kill -9 of the chain worker between broadcast and receipt', () => {
  it.each(CASES.map((c, i) => [i + 1, c]))('round %i (%s): exactly one Anchored event, one signature, every session proved', async (_round, how) => {
    await chain.setAutomine(false);
    const batch = await Promise.all([0, 1, 2].map(() => storedSession(sessions, 'n-kill-chain')));
    for (const m of batch) await queueForAnchoring(h.client, { sessionId: m.sessionId, root: m.root }, batcherSettings());
    const first = batch[0]!.sessionId;
    const batchId = await eventually('the batch to be sealed', async () => (await anchors.batchesOf([first])).get(first));
    const handle = h.client.workflow.getHandle(anchorBatchWorkflowId(batchId));

    // Broadcast: the signed bytes are stored, the node holds them unmined, and the worker waits for the receipt.
    const signed = await eventually('the anchor to be signed and broadcast', async () => {
      const s = (await anchors.batch(batchId))?.signed;
      return s && (await chain.transaction(s.hash as `0x${string}`)) ? s : undefined;
    });
    await eventually('the chain worker to wait for the receipt', async () =>
      (await pendingActivities(handle)).some((a) => a.type === 'awaitAnchorReceipt' && a.started),
    );
    expect((await chain.transaction(signed.hash as `0x${string}`))!.blockNumber).toBeNull();
    await kill9(worker);

    if (how === 'mined-while-down') {
      await chain.mine();
      worker = chainWorker();
    } else if (how === 'mined-after-restart') {
      worker = chainWorker();
      // The wait is retried (after its heartbeat timeout) on the new worker, which polls a receipt that is not there yet.
      await eventually('the restarted worker to wait again', async () =>
        (await pendingActivities(handle)).some((a) => a.type === 'awaitAnchorReceipt' && a.attempt >= 2 && a.started),
      );
      await sleep(500);
      await chain.mine();
    } else {
      await chain.rpc('anvil_dropTransaction', [signed.hash]);
      expect(await chain.transaction(signed.hash as `0x${string}`)).toBeNull();
      worker = chainWorker();
    }
    await chain.setAutomine(true);

    const result = (await handle.result()) as AnchorBatchResult;
    expect(result).toMatchObject({ batchId, signatures: 1, broadcasts: how === 'dropped-from-pool' ? 2 : 1, receipt: { txHash: signed.hash } });

    // The chain is the ground truth: one event for the batch, from the one signed transaction.
    const events = (await reader.anchoredEvents(chain.deployBlock, await chain.head())).filter((e) => e.batchId === batchId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ txHash: signed.hash, blockNumber: result.receipt.blockNumber, logIndex: result.receipt.logIndex });
    const doc = (await anchors.batch(batchId))!;
    expect(await reader.anchoredRoot(batchId as `0x${string}`)).toBe(doc.root);
    for (const [leafIndex, m] of batch.entries()) {
      expect(await anchors.anchorOf(m.sessionId)).toMatchObject({ batchId, leafIndex, count: 3, receipt: { txHash: signed.hash } });
      expect((await sessions.get(m.sessionId))!.anchored).toMatchObject({ batchId, txHash: signed.hash });
    }
  });
});
