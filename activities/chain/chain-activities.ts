import { ApplicationFailure, Context } from '@temporalio/activity';
import { AnchorChainError, type AnchorChain } from '../../chain/anchor-chain';
import type { AnchorReceipt, ReceiptWait, SignedAnchor } from '../../workflows/anchor-types';

export interface ChainWorkerContext {
  chain: AnchorChain;
  /** The anchoring key: only this worker holds it; it never leaves this closure. */
  privateKey: `0x${string}`;
}

type Hex = `0x${string}`;

/** How long one wait polls for a receipt before the workflow broadcasts the same bytes again. */
const RECEIPT_WAIT_MS = 20_000;
const POLL_MS = 250;
/** How long findAnchor waits, within one attempt, for an anchored batch to get its confirmations (its timeout is a minute). */
const FIND_WAIT_MS = 20_000;

type AnchorState = { state: 'none' } | { state: 'unconfirmed'; detail: string } | { state: 'confirmed'; receipt: AnchorReceipt };

const refused = (message: string) => ApplicationFailure.nonRetryable(message, 'AnchorRefused');

/** The contract's refusals cannot change by retrying; an unreachable chain can, so it is retried. */
async function onChain<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof AnchorChainError && err.kind === 'refused') throw refused(err.message);
    throw err;
  }
}

/** Activities of the `chain` queue: sign, broadcast and confirm anchors. */
export function createChainActivities(ctx: ChainWorkerContext) {
  const { chain } = ctx;

  /**
   * How the chain holds a batch: not anchored, anchored with too few confirmations so far (or its event not yet
   * served), or anchored deep enough, with the receipt of the transaction that did it, whichever signature it was.
   */
  async function anchorState(batchId: Hex, root: Hex, confirmations: number): Promise<AnchorState> {
    const onChain = await chain.anchoredRoot(batchId);
    if (!onChain) return { state: 'none' };
    if (onChain.toLowerCase() !== root.toLowerCase()) throw refused(`batch ${batchId}: anchored on chain with another root ${onChain}`);
    const event = await chain.anchorEventOf(batchId);
    if (!event) return { state: 'unconfirmed', detail: 'its Anchored event is not served yet' };
    const head = await chain.head();
    const depth = head.number - Number(event.blockNumber) + 1;
    if (depth < confirmations) return { state: 'unconfirmed', detail: `block ${event.blockNumber} has ${depth} of ${confirmations} confirmations` };
    return {
      state: 'confirmed',
      receipt: {
        chainId: await chain.chainId(),
        contract: chain.contract,
        txHash: event.txHash,
        blockNumber: Number(event.blockNumber),
        blockHash: event.blockHash,
        logIndex: Number(event.logIndex),
      },
    };
  }

  async function anchoredReceipt(batchId: Hex, root: Hex, confirmations: number): Promise<AnchorReceipt | undefined> {
    const s = await anchorState(batchId, root, confirmations);
    return s.state === 'confirmed' ? s.receipt : undefined;
  }

  return {
    /**
     * Already anchored (by an earlier run, another signature, or anyone holding an authorised key) counts as
     * success. Anchored but not yet deep enough is waited for here, never answered with "not anchored": the
     * workflow would sign a second transaction that the contract refuses.
     */
    async findAnchor(input: { batchId: string; root: string; confirmations: number }): Promise<AnchorReceipt | null> {
      const batchId = input.batchId as Hex;
      const deadline = Date.now() + FIND_WAIT_MS;
      for (;;) {
        const s = await onChain(() => anchorState(batchId, input.root as Hex, input.confirmations));
        if (s.state === 'none') return null;
        if (s.state === 'confirmed') return s.receipt;
        // Retried (by the activity's retry policy) until the chain has the confirmations.
        if (Date.now() > deadline) throw ApplicationFailure.retryable(`batch ${batchId}: anchored, ${s.detail}`, 'AnchorUnconfirmed');
        await Context.current().sleep(POLL_MS);
      }
    },

    /** Signs without sending: the caller stores the bytes and their hash before any broadcast. */
    async signAnchor(input: { batchId: string; root: string; count: number }): Promise<SignedAnchor> {
      const args = { batchId: input.batchId as Hex, root: input.root as Hex, count: input.count };
      const from = chain.addressOf(ctx.privateKey);
      const sim = await chain.simulateAnchor(from, args);
      if (!sim.ok) throw refused(`batch ${input.batchId}: the contract refuses it from ${from} (${sim.reason}): ${sim.message}`);
      const signed = await onChain(() => chain.signAnchor(ctx.privateKey, args));
      return { batchId: input.batchId, hash: signed.hash, raw: signed.raw, nonce: signed.nonce, from: signed.from };
    },

    /** The same signed bytes, every time; "already known" and a used nonce are for the receipt wait to judge. */
    async broadcastAnchor(input: { batchId: string; raw: string; hash: string }): Promise<string> {
      return chain.broadcast(input.raw as Hex);
    },

    /**
     * Polls for the receipt (heartbeating) until it has enough confirmations.
     * No receipt in time: `missing` (send the same bytes again). The nonce
     * went to another transaction and the batch is not on chain: `replaced`.
     */
    async awaitAnchorReceipt(input: {
      batchId: string;
      root: string;
      hash: string;
      nonce: number;
      from: string;
      confirmations: number;
    }): Promise<ReceiptWait> {
      const batchId = input.batchId as Hex;
      const root = input.root as Hex;
      const deadline = Date.now() + RECEIPT_WAIT_MS;
      while (Date.now() < deadline) {
        Context.current().heartbeat();
        const r = await chain.receipt(input.hash as Hex);
        if (r?.status === 'reverted') {
          const done = await anchoredReceipt(batchId, root, input.confirmations);
          if (done) return { state: 'confirmed', receipt: done };
          if (await chain.anchoredRoot(batchId)) {
            await Context.current().sleep(POLL_MS);
            continue;
          }
          throw refused(`batch ${input.batchId}: transaction ${input.hash} reverted`);
        }
        if (r && r.confirmations >= input.confirmations) {
          return {
            state: 'confirmed',
            receipt: {
              chainId: await chain.chainId(),
              contract: chain.contract,
              txHash: input.hash,
              blockNumber: r.blockNumber,
              blockHash: r.blockHash,
              logIndex: r.logIndex ?? 0,
            },
          };
        }
        if (!r && (await chain.nonceOf(input.from as Hex)) > input.nonce) {
          const done = await anchoredReceipt(batchId, root, input.confirmations);
          if (done) return { state: 'confirmed', receipt: done };
          if (!(await chain.anchoredRoot(batchId))) return { state: 'replaced' };
        }
        await Context.current().sleep(POLL_MS);
      }
      return { state: 'missing' };
    },
  };
}

export type ChainActivities = ReturnType<typeof createChainActivities>;
