import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createChainActivities } from '../activities/chain/chain-activities';
import { AnchorChain } from '../chain/anchor-chain';
import type { ChainEndpoint } from '../config/chain-config';
import { CHAIN_QUEUE } from '../workflows/task-queues';

export interface ChainWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  endpoint: ChainEndpoint;
  /** The anchoring key: this worker is the only process that holds it. */
  privateKey: `0x${string}`;
  dataConverter?: DataConverter;
}

/** The chain plane's worker: activities only, on the `chain` queue. */
export async function createChainWorker(opts: ChainWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    dataConverter: opts.dataConverter,
    taskQueue: CHAIN_QUEUE,
    activities: createChainActivities({ chain: new AnchorChain(opts.endpoint), privateKey: opts.privateKey }),
  });
}
