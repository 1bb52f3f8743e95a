import type { ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { Hex } from 'viem';
import { PayoutStore } from '../../stores/payout-store';
import { SessionStore } from '../../stores/session-store';
import { startPayout } from '../../triggers/payout-trigger';
import { payoutBatchWorkflowId } from '../../workflows/task-queues';
import { eventually, kill9, pendingActivities } from '../anchoring/anchor-fixtures';
import { FleetHarness } from '../support/fleet-harness';
import { PayoutChainFixture, anchorAll, commitPayoutConfig, randomRecipient, recordedSession } from './payout-fixtures';

const SETTINGS = { LUCID_ANCHOR_MAX_BATCH: '64', LUCID_ANCHOR_MAX_WAIT_SECONDS: '1', LUCID_ANCHOR_CONFIRMATIONS: '1' };
const ROUNDS = 20;
let h: FleetHarness;
let fx: PayoutChainFixture;
let payouts: PayoutStore;
let chainWorker: ChildProcess;
let walletWorker: ChildProcess;
const node = randomRecipient();
/** One month per round, each with one anchored hour of n-kill: 0.50 USDT a month. */
const months = Array.from({ length: ROUNDS }, (_, i) => `${2001 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`);

beforeAll(async () => {
  Object.assign(process.env, SETTINGS);
  h = await FleetHarness.start('payout-wallet-kill', []);
  payouts = new PayoutStore(h.db);
  fx = await PayoutChainFixture.start({ port: h.stack.chainPort + 51, dir: path.join(h.dataDir, 'chain') });
  await h.startControlWorker(fx.chain.endpoint);
  chainWorker = h.spawnWorker('chain', 'chain', fx.chain.vars);
  walletWorker = h.spawnWorker('wallet', 'wallet', fx.walletVars);
  await commitPayoutConfig(h, { 'n-kill': node.tron }, { minimumPayout: '0.10', approvals: { approvers: ['alice', 'bob'], required: 0, twoApproversAbove: '2000' } });
  const sessions = new SessionStore(h.db);
  const recorded = [];
  for (const m of months) recorded.push(await recordedSession(sessions, 'n-kill', new Date(`${m}-15T00:00:00Z`), 1));
  await anchorAll(h, recorded);
  await kill9(chainWorker);
}, 300_000);
afterAll(async () => {
  for (const k of Object.keys(SETTINGS)) delete process.env[k];
  if (walletWorker) await kill9(walletWorker);
  await h?.close();
  await fx?.close();
});

describe('kill -9 of the wallet worker after broadcast and before the receipt', () => {
  it(`${ROUNDS} months in a row: every one ends paid, and the balance grows by exactly each month's amount`, async () => {
    const start = await fx.reader.balanceOf(node.evm);
    const timings: number[] = [];
    for (const [round, month] of months.entries()) {
      const t0 = Date.now();
      const before = await fx.reader.balanceOf(node.evm);
      await fx.chain.setAutomine(false);
      const { handle } = await startPayout(h.client, month);
      // Broadcast: the signed bytes are stored, the node holds them unmined, and the wallet worker waits for the receipt.
      const signed = await eventually(`${month}: the payout to be signed and broadcast`, async () => {
        const s = (await h.db.collection('payout_signed_txs').findOne({ month })) as { hash: Hex; batchId: string } | null;
        return s && (await fx.chain.transaction(s.hash)) ? s : undefined;
      });
      const batch = h.client.workflow.getHandle(payoutBatchWorkflowId(signed.batchId));
      await eventually(`${month}: the wallet worker to wait for the receipt`, async () =>
        (await pendingActivities(batch)).some((a) => a.type === 'awaitPayoutReceipt' && a.started),
      );
      await kill9(walletWorker);
      // Alternate: mined while no wallet worker runs, or after its successor is waiting again.
      if (round % 2 === 0) await fx.chain.mine();
      walletWorker = h.spawnWorker('wallet', 'wallet', fx.walletVars);
      await fx.chain.setAutomine(true);
      if (round % 2 === 1) await fx.chain.mine();

      const result = await handle.result();
      expect(result).toMatchObject({ month, state: 'paid', total: '500000', txs: [signed.hash] });
      expect((await fx.reader.balanceOf(node.evm)) - before).toBe(500_000n);
      expect(await fx.reader.isPaid('PR0', signed.batchId as Hex)).toBe(true);
      expect(await payouts.receiptsOf(month)).toEqual([expect.objectContaining({ txHash: signed.hash, amount: '500000', node: 'n-kill' })]);
      timings.push(Date.now() - t0);
    }
    // Zero double payments over all rounds: the chain is the ground truth.
    expect((await fx.reader.balanceOf(node.evm)) - start).toBe(BigInt(ROUNDS) * 500_000n);
    process.stderr.write(`payout kill -9 loop: ${ROUNDS} rounds, ${(timings.reduce((a, b) => a + b, 0) / ROUNDS / 1000).toFixed(1)} s a round\n`);
  }, 600_000);
});
