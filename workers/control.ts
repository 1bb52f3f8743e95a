import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Db } from 'mongodb';
import { createControlActivities } from '../activities/control/control-activities';
import { AnchorChain } from '../chain/anchor-chain';
import { batcherSettings, requireChainEndpoint, type ChainEndpoint } from '../config/chain-config';
import { AnchorStore } from '../stores/anchor-store';
import { ClusterStore } from '../stores/cluster-store';
import { PayoutStore } from '../stores/payout-store';
import { ProposalStore } from '../stores/proposal-store';
import { RolloutStore } from '../stores/rollout-store';
import { ReplicationStore } from '../stores/replication-store';
import { SessionStore } from '../stores/session-store';
import { CONTROL_QUEUE } from '../workflows/task-queues';
import { workflowSource } from './workflow-source';

export interface ControlWorkerOptions {
  connection: NativeConnection;
  /** The client side of the same server, for signalling and starting other workflows. */
  clientConnection: Connection;
  namespace: string;
  db: Db;
  repo?: { url: string; dataDir: string };
  /** Encrypts payloads when LUCID_PAYLOAD_KEYS is set; see payload-codec.ts. */
  dataConverter?: DataConverter;
  /** The chain the event index reads (no key); without it sessions still queue for anchoring and wait. */
  chain?: ChainEndpoint;
  /** The SSH key file the console's proposal commits are signed with; absent: unsigned. */
  proposalSigningKey?: string;
}

/** The console host's worker: runs rollouts and holds MongoDB. */
export async function createControlWorker(opts: ControlWorkerOptions): Promise<Worker> {
  const client = new Client({ connection: opts.clientConnection, namespace: opts.namespace, dataConverter: opts.dataConverter });
  const sessions = new SessionStore(opts.db);
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    dataConverter: opts.dataConverter,
    taskQueue: CONTROL_QUEUE,
    ...workflowSource(),
    activities: createControlActivities({
      clusters: new ClusterStore(opts.db),
      rollouts: new RolloutStore(opts.db),
      sessions,
      repo: opts.repo,
      client,
      anchoring: {
        anchors: new AnchorStore(opts.db),
        chain: () => new AnchorChain(opts.chain ?? requireChainEndpoint()),
        batcher: batcherSettings(),
      },
      payouts: new PayoutStore(opts.db),
      replication: new ReplicationStore(opts.db),
      proposals: new ProposalStore(opts.db),
      proposalSigningKey: opts.proposalSigningKey,
    }),
  });
}
