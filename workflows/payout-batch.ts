import { proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { PayoutControlActivities } from '../activities/control/payout-activities';
import type { WalletActivities } from '../activities/wallet/wallet-activities';
import type { BatchReceipt, PayoutBatchInput, PayoutBatchResult, SignedPayoutTx } from './payout-types';
import { SEARCH_ATTRIBUTES as SA } from './search-attributes';
import { CONTROL_QUEUE, WALLET_QUEUE } from './task-queues';

// The wallet plane: the only worker holding the payout key. An unreachable chain is waited out, never given up on.
const wallet = proxyActivities<WalletActivities>({
  taskQueue: WALLET_QUEUE,
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '500ms', maximumInterval: '10s', nonRetryableErrorTypes: ['PayoutRefused'] },
});
// Short heartbeats: a killed wallet worker's wait is retried on its successor within seconds.
const waits = proxyActivities<WalletActivities>({
  taskQueue: WALLET_QUEUE,
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '3 seconds',
  retry: { initialInterval: '500ms', maximumInterval: '10s', nonRetryableErrorTypes: ['PayoutRefused'] },
});
const control = proxyActivities<PayoutControlActivities>({
  taskQueue: CONTROL_QUEUE,
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

/**
 * payout-batch-<batchId>: one payBatch exactly once. The signed transaction is stored (MongoDB and history) before
 * it is broadcast; a retry, a lost receipt or a vanished block sends the same bytes; only a nonce taken by
 * another transaction, with the batch still unpaid, gets a new signature, and the router refuses a batch id twice.
 */
export async function payoutBatch(input: PayoutBatchInput): Promise<PayoutBatchResult> {
  const { batch, confirmations, month } = input;
  upsertSearchAttributes([
    { key: SA.month, value: month },
    { key: SA.batch, value: batch.batchId },
  ]);
  let signatures = 0;
  let broadcasts = 0;
  const sign = async (): Promise<SignedPayoutTx> => {
    const s = await wallet.signPayout({ batch });
    signatures++;
    await control.recordSignedPayout({ month, signed: s });
    return s;
  };
  const finish = (receipt: BatchReceipt): PayoutBatchResult => {
    if (receipt.txHash) upsertSearchAttributes([{ key: SA.tx, value: receipt.txHash }]);
    return { batchId: batch.batchId, receipt, broadcasts, signatures };
  };

  let signed = await control.signedPayoutOf({ batchId: batch.batchId });
  const done = await waits.findPayout({ batch, hash: signed?.hash, confirmations });
  if (done) return finish(done);
  signed ??= await sign();
  for (;;) {
    const outcome = await wallet.broadcastPayout({ batchId: batch.batchId, raw: signed.raw });
    broadcasts++;
    if (outcome === 'nonce-used') {
      // Mined already (ours: "already paid" is success), or the nonce went to another transaction: sign again.
      const paid = await waits.findPayout({ batch, hash: signed.hash, confirmations });
      if (paid) return finish(paid);
      signed = await sign();
      continue;
    }
    const wait = await waits.awaitPayoutReceipt({ batch, hash: signed.hash, confirmations });
    if (wait.state === 'confirmed') return finish(wait.receipt);
  }
}
