import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Address, Hex } from 'viem';
import type { BroadcastOutcome } from '../../chain/anchor-chain';
import { PayoutChainError, type PayBatch, type PayoutChain, type PayoutReceipt } from '../../chain/payout-chain';
import type { BatchReceipt, BatchSimulation, PayoutReceiptWait, PlannedBatch, SignedPayoutTx } from '../../workflows/payout-types';

export interface WalletWorkerContext {
  chain: PayoutChain;
  /** The payout key, decrypted from the keystore in this process; it never leaves this closure. */
  key: Hex;
  address: Address;
}

/** How long one wait polls for a receipt before the workflow broadcasts the same bytes again. */
const RECEIPT_WAIT_MS = 15_000;
const POLL_MS = 200;

const refused = (message: string) => ApplicationFailure.nonRetryable(message, 'PayoutRefused');

/** The router's refusals cannot change by retrying; an unreachable chain can, so it is retried. */
async function onChain<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof PayoutChainError && err.kind === 'refused') throw refused(err.message);
    throw err;
  }
}

function payBatchOf(b: PlannedBatch): PayBatch {
  return {
    router: b.router,
    batchId: b.batchId as Hex,
    lines: b.lines.map((l) => ({ recipient: l.recipient as Address, amount: BigInt(l.amount), reasons: l.reasons as Hex })),
  };
}

function batchReceipt(batch: PlannedBatch, hash: string, r: PayoutReceipt): BatchReceipt {
  return {
    batchId: batch.batchId,
    router: batch.router,
    txHash: hash,
    blockNumber: r.blockNumber,
    blockHash: r.blockHash,
    gasUsed: r.gasUsed.toString(),
    lines: r.lines
      .filter((l) => l.batchId.toLowerCase() === batch.batchId.toLowerCase())
      .map((l) => ({ recipient: l.recipient, amount: l.amount.toString(), reasons: l.reasons, logIndex: l.logIndex })),
  };
}

/** Activities of the `wallet` queue: dry runs, signing, broadcasting and confirming payBatch calls. */
export function createWalletActivities(ctx: WalletWorkerContext) {
  const { chain } = ctx;

  /** The batch on chain: unpaid, paid by `hash` with enough confirmations, paid but not deep enough yet, or paid by another transaction. */
  async function paidState(batch: PlannedBatch, hash: string | undefined, confirmations: number): Promise<'unpaid' | 'shallow' | BatchReceipt> {
    if (!(await chain.isPaid(batch.router, batch.batchId as Hex))) return 'unpaid';
    const r = hash ? await chain.receipt(hash as Hex) : null;
    if (r?.status === 'success') return r.confirmations >= confirmations ? batchReceipt(batch, hash!, r) : 'shallow';
    // Paid by a transaction this payout did not record (an earlier signature, say): the router's paid flag is the proof.
    return { batchId: batch.batchId, router: batch.router, lines: [] };
  }

  return {
    async payoutWallet(): Promise<{ chain: string; address: string }> {
      return { chain: chain.chain, address: ctx.address };
    },

    /** The dry run: each batch's payBatch simulated from the wallet's address (eth_call); nothing is signed. */
    async simulatePayouts(input: { batches: PlannedBatch[] }): Promise<BatchSimulation[]> {
      const out: BatchSimulation[] = [];
      for (const b of input.batches) {
        const sim = await chain.simulate(payBatchOf(b), ctx.address);
        const { batchId } = b;
        out.push(sim.ok ? { batchId, ok: true, gas: sim.gas.toString() } : { batchId, ok: false, reason: sim.reason, message: sim.message });
      }
      return out;
    },

    /** Paid already (by an earlier run or signature) counts as success; paid but shallow is waited for, never re-signed. */
    async findPayout(input: { batch: PlannedBatch; hash?: string; confirmations: number }): Promise<BatchReceipt | null> {
      for (;;) {
        const s = await paidState(input.batch, input.hash, input.confirmations);
        if (s === 'unpaid') return null;
        if (s !== 'shallow') return s;
        Context.current().heartbeat();
        await Context.current().sleep(POLL_MS);
      }
    },

    /** Signs without sending, after a last simulation: the caller stores the bytes before any broadcast. */
    async signPayout(input: { batch: PlannedBatch }): Promise<SignedPayoutTx> {
      const batch = payBatchOf(input.batch);
      const sim = await chain.simulate(batch, ctx.address);
      if (!sim.ok) throw refused(`batch ${input.batch.batchId}: the router refuses it from ${ctx.address} (${sim.reason}): ${sim.message}`);
      const signed = await onChain(() => chain.sign(batch, ctx.key));
      return { batchId: input.batch.batchId, raw: signed.raw, hash: signed.hash, nonce: signed.nonce, from: signed.from };
    },

    /** The same signed bytes, every time; "already known" is success, a used nonce is for the workflow to judge. */
    async broadcastPayout(input: { batchId: string; raw: string }): Promise<BroadcastOutcome> {
      return onChain(() => chain.broadcast(input.raw as Hex));
    },

    /**
     * Polls for the receipt (heartbeating) until it has enough confirmations. No receipt in time, or one that
     * vanished with its block (a reorg, a restarted chain): `missing`, and the same bytes go out again.
     */
    async awaitPayoutReceipt(input: { batch: PlannedBatch; hash: string; confirmations: number }): Promise<PayoutReceiptWait> {
      const deadline = Date.now() + RECEIPT_WAIT_MS;
      let seen = false;
      while (Date.now() < deadline) {
        Context.current().heartbeat();
        const r = await chain.receipt(input.hash as Hex);
        if (r?.status === 'reverted') {
          const s = await paidState(input.batch, undefined, input.confirmations);
          if (s !== 'unpaid' && s !== 'shallow') return { state: 'confirmed', receipt: s };
          throw refused(`batch ${input.batch.batchId}: transaction ${input.hash} reverted`);
        }
        if (r && r.confirmations >= input.confirmations) return { state: 'confirmed', receipt: batchReceipt(input.batch, input.hash, r) };
        if (r) seen = true;
        else if (seen) return { state: 'missing' };
        await Context.current().sleep(POLL_MS);
      }
      return { state: 'missing' };
    },
  };
}

export type WalletActivities = ReturnType<typeof createWalletActivities>;
