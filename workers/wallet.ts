import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createWalletActivities } from '../activities/wallet/wallet-activities';
import { EvmPayoutChain } from '../chain/evm-payout-chain';
import type { PayoutEndpoint } from '../config/payout-env';
import { readKeystore } from '../wallet/keystore';
import { WALLET_QUEUE } from '../workflows/task-queues';

export interface WalletWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  endpoint: PayoutEndpoint;
  /** The encrypted payout keystore: this worker is the only process that decrypts it. */
  keystore: { file: string; passwordFile: string };
  dataConverter?: DataConverter;
}

/** The wallet plane's worker: activities only, on the `wallet` queue. */
export async function createWalletWorker(opts: WalletWorkerOptions): Promise<Worker> {
  const { key, address } = readKeystore(opts.keystore.file, opts.keystore.passwordFile);
  const chain = await EvmPayoutChain.connect(opts.endpoint);
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    dataConverter: opts.dataConverter,
    taskQueue: WALLET_QUEUE,
    activities: createWalletActivities({ chain, key, address }),
  });
}
