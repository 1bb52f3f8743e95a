import type { ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { Hex } from 'viem';
import { SessionStore } from '../../stores/session-store';
import { startPayout } from '../../triggers/payout-trigger';
import type { PayoutBatchResult } from '../../workflows/payout-types';
import { payoutBatchWorkflowId } from '../../workflows/task-queues';
import { eventually, kill9 } from '../anchoring/anchor-fixtures';
import { FleetHarness } from '../support/fleet-harness';
import { PayoutChainFixture, anchorAll, commitPayoutConfig, randomRecipient, recordedSession } from './payout-fixtures';

const SETTINGS = { LUCID_ANCHOR_MAX_BATCH: '64', LUCID_ANCHOR_MAX_WAIT_SECONDS: '1', LUCID_ANCHOR_CONFIRMATIONS: '1' };
let h: FleetHarness;
let fx: PayoutChainFixture;
let chainWorker: ChildProcess;
let walletWorker: ChildProcess;
const node = randomRecipient();

beforeAll(async () => {
  Object.assign(process.env, SETTINGS);
  h = await FleetHarness.start('payout-lost-block', []);
  fx = await PayoutChainFixture.start({ port: h.stack.chainPort + 61, dir: path.join(h.dataDir, 'chain') });
  await h.startControlWorker(fx.chain.endpoint);
  chainWorker = h.spawnWorker('chain', 'chain', fx.chain.vars);
  walletWorker = h.spawnWorker('wallet', 'wallet', fx.walletVars);
  await commitPayoutConfig(h, { 'n-lost': node.tron }, { confirmations: 3, approvals: { approvers: ['alice', 'bob'], required: 0, twoApproversAbove: '2000' } });
  await anchorAll(h, [await recordedSession(new SessionStore(h.db), 'n-lost', new Date('2025-03-10T00:00:00Z'), 4)]);
  await kill9(chainWorker);
  // A clean stop writes the state file: the contracts and the anchor survive the kill -9 below, the payout's block does not.
  await fx.chain.restart();
}, 300_000);
afterAll(async () => {
  for (const k of Object.keys(SETTINGS)) delete process.env[k];
  if (walletWorker) await kill9(walletWorker);
  await h?.close();
  await fx?.close();
});

describe('a payout whose block the chain loses', () => {
  it('is broadcast again with the same signed bytes and paid once', async () => {
    const before = await fx.reader.balanceOf(node.evm);
    const { handle } = await startPayout(h.client, '2025-03');
    const signed = await eventually('the payout to be mined, short of its 3 confirmations', async () => {
      const s = (await h.db.collection('payout_signed_txs').findOne({ month: '2025-03' })) as { hash: Hex; batchId: string } | null;
      return s && (await fx.chain.transaction(s.hash))?.blockNumber ? s : undefined;
    });
    await fx.chain.kill9();
    await fx.chain.up();
    expect(await fx.chain.transaction(signed.hash)).toBeNull();
    expect(await fx.reader.balanceOf(node.evm)).toBe(before);
    // The wait sees the receipt gone and the same bytes go out again; then the chain moves on.
    await eventually('the same transaction back on chain', async () => (await fx.chain.transaction(signed.hash))?.blockNumber);
    for (let i = 0; i < 3; i++) await fx.chain.mine();

    expect(await handle.result()).toMatchObject({ state: 'paid', txs: [signed.hash] });
    const batch = (await h.client.workflow.getHandle(payoutBatchWorkflowId(signed.batchId)).result()) as PayoutBatchResult;
    expect(batch).toMatchObject({ signatures: 1, receipt: { txHash: signed.hash } });
    expect(batch.broadcasts).toBeGreaterThanOrEqual(2);
    expect((await fx.reader.balanceOf(node.evm)) - before).toBe(2_000_000n);
  });
});
