import { patched, proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { ChainActivities } from '../activities/chain/chain-activities';
import type { AnchorControlActivities } from '../activities/control/anchor-activities';
import type { AnchorBatchResult, AnchorReceipt, SealedBatch, SignedAnchor } from './anchor-types';
import { SEARCH_ATTRIBUTES as SA } from './search-attributes';
import { CHAIN_QUEUE, CONTROL_QUEUE } from './task-queues';

// The chain plane: the only worker holding the anchoring key. An unreachable chain is waited out, never given up on.
const chain = proxyActivities<ChainActivities>({
  taskQueue: CHAIN_QUEUE,
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '30s', nonRetryableErrorTypes: ['AnchorRefused'] },
});
const receipts = proxyActivities<ChainActivities>({
  taskQueue: CHAIN_QUEUE,
  startToCloseTimeout: '3 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});
const control = proxyActivities<AnchorControlActivities>({
  taskQueue: CONTROL_QUEUE,
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

/**
 * anchor-<batchId>: puts one sealed batch's root on chain exactly once. The
 * signed transaction is in history (and MongoDB) before it is broadcast; a
 * retry, a lost receipt or a chain that restarted without the block sends the
 * same bytes again; only a nonce taken by another transaction gets a new
 * signature, and the contract refuses a batch id twice.
 */
export async function anchorBatch(input: { batch: SealedBatch; confirmations: number }): Promise<AnchorBatchResult> {
  const { batch, confirmations } = input;
  // A full batch's session ids (64 UUIDs) are over what one search attribute value may hold: Temporal would refuse
  // the workflow task, for good, and the batch would never be anchored.
  const searchable = patched('anchor-sessions-attribute-fits') ? sessionsThatFit(batch.sessionIds) : batch.sessionIds;
  upsertSearchAttributes([
    { key: SA.batch, value: batch.batchId },
    { key: SA.session, value: searchable },
  ]);
  let signatures = 0;
  let broadcasts = 0;
  const sign = async (): Promise<SignedAnchor> => {
    const signed = await chain.signAnchor({ batchId: batch.batchId, root: batch.root, count: batch.count });
    signatures++;
    await control.recordSignedAnchor({ signed });
    return signed;
  };
  const done = await chain.findAnchor({ batchId: batch.batchId, root: batch.root, confirmations });
  if (done) return finish(done, broadcasts, signatures);
  let signed = (await control.signedAnchorOf({ batchId: batch.batchId })) ?? (await sign());
  for (;;) {
    await chain.broadcastAnchor({ batchId: batch.batchId, raw: signed.raw, hash: signed.hash });
    broadcasts++;
    const { hash, nonce, from } = signed;
    const wait = await receipts.awaitAnchorReceipt({ batchId: batch.batchId, root: batch.root, hash, nonce, from, confirmations });
    if (wait.state === 'confirmed') return finish(wait.receipt, broadcasts, signatures);
    if (wait.state === 'replaced') signed = await sign();
  }

  async function finish(receipt: AnchorReceipt, b: number, s: number): Promise<AnchorBatchResult> {
    upsertSearchAttributes([{ key: SA.tx, value: receipt.txHash }]);
    await control.recordAnchors({ batch, receipt });
    return { batchId: batch.batchId, root: batch.root, count: batch.count, receipt, broadcasts: b, signatures: s };
  }
}

/** Temporal's limit on one search attribute value (limit.searchAttributeValueSize, 2 KiB by default), a keyword list as JSON. */
export const SEARCH_ATTRIBUTE_VALUE_BYTES = 2048;

/**
 * The batch's session ids, in leaf order, as many as one search attribute value holds. The rest of a large batch is
 * found through `lucid session proof <id>` (its batch id), then LucidBatch in the UI.
 */
export function sessionsThatFit(sessionIds: readonly string[]): string[] {
  const encoder = new TextEncoder();
  const fit: string[] = [];
  let bytes = 2; // []
  for (const id of sessionIds) {
    bytes += encoder.encode(JSON.stringify(id)).length + (fit.length > 0 ? 1 : 0);
    if (bytes > SEARCH_ATTRIBUTE_VALUE_BYTES) break;
    fit.push(id);
  }
  return fit;
}
