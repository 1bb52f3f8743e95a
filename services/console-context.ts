import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Db, MongoClient } from 'mongodb';
import { verifyCommitSignature } from '../repo/commit-signature';
import { GitMirror } from '../repo/git-mirror';
import { pruneTrees } from '../repo/tree-pruning';
import { ClusterStore } from '../stores/cluster-store';
import { RolloutStore } from '../stores/rollout-store';
import { checkCommitGates, type CommitGate } from '../supply-chain/commit-gates';
import type { ImageVerdict } from '../supply-chain/image-gate';
import { chainEndpoint, requireChainEndpoint, type ChainEndpoint } from '../config/chain-config';
import { loadFleetConfig, type FleetConfig } from '../config/fleet-config';
import { requireConfigRepo, runtimeEnv, type RuntimeEnv } from '../config/runtime-env';
import type { CommitInfo } from '../workflows/reconcile-types';
import type { GateSummary } from '../workflows/rollout-types';
import { readStackState } from './stack/stack-state';

/**
 * What the console (CLI, later HTTP) runs against. Explicit environment wins;
 * otherwise the addresses `lucid dev up` recorded, so commands work right after it.
 */
export function consoleEnv(env: NodeJS.ProcessEnv = process.env): RuntimeEnv {
  const base = runtimeEnv(env);
  const stack = readStackState(base.LUCID_DATA_DIR);
  if (!stack) return base;
  return runtimeEnv({
    TEMPORAL_ADDRESS: stack.temporalAddress,
    MONGO_URL: stack.mongoUrl,
    LUCID_NAMESPACE: stack.namespace,
    LUCID_CONFIG_REPO: stack.repoUrl,
    ...env,
  });
}

export class ConsoleContext {
  /** One connection per process, whoever asks first: a command may start connecting before it needs the client. */
  private client?: Promise<Client>;
  private mongo?: MongoClient;

  constructor(readonly env: RuntimeEnv) {}

  /**
   * The Temporal client and MongoDB driver load on first use (about half of a
   * command's start-up between them): a command that needs neither, or needs
   * one only after its local git work, does not wait for them first.
   */
  temporal(): Promise<Client> {
    this.client ??= this.connectTemporal();
    return this.client;
  }

  private async connectTemporal(): Promise<Client> {
    const [{ Client, Connection }, { temporalConnectionOptions }, { lucidDataConverter }, { payloadKeys }] = await Promise.all([
      import('@temporalio/client'),
      import('../config/temporal-connection'),
      import('../workers/payload-codec'),
      import('../config/payload-keys'),
    ]);
    const connection = await Connection.connect({ ...temporalConnectionOptions(this.env.TEMPORAL_ADDRESS), connectTimeout: 5000 });
    return new Client({ connection, namespace: this.env.LUCID_NAMESPACE, dataConverter: lucidDataConverter(payloadKeys()) });
  }

  async db(): Promise<Db> {
    if (!this.mongo) {
      const { MongoClient } = await import('mongodb');
      this.mongo = new MongoClient(this.env.MONGO_URL, { serverSelectionTimeoutMS: 5000 });
      await this.mongo.connect();
    }
    return this.mongo.db(this.env.LUCID_DB);
  }

  async store(): Promise<ClusterStore> {
    return new ClusterStore(await this.db());
  }

  async rollouts(): Promise<RolloutStore> {
    return new RolloutStore(await this.db());
  }

  /** The anchoring chain: LUCID_CHAIN_RPC and LUCID_CHAIN_CONTRACT, else the one `lucid dev up` deployed. */
  chainEndpoint(): ChainEndpoint {
    const stack = readStackState(this.env.LUCID_DATA_DIR)?.chain;
    return chainEndpoint() ?? (stack ? { rpcUrl: stack.rpc, contract: stack.contract } : requireChainEndpoint());
  }

  mirror(): GitMirror {
    return new GitMirror(requireConfigRepo(this.env), path.join(this.env.LUCID_DATA_DIR, 'console', 'repo.git'));
  }

  private async treeAt(ref?: string): Promise<{ commit: CommitInfo; gitDir: string; tree: string; dir: string }> {
    const mirror = this.mirror();
    const commit = await mirror.fetchAndResolve(ref);
    const dir = path.join(this.env.LUCID_DATA_DIR, 'console');
    const treesDir = path.join(dir, 'trees');
    const tree = await mirror.materialize(commit.sha, treesDir);
    pruneTrees(treesDir, [commit.sha]);
    return { commit, gitDir: mirror.mirrorDir, tree, dir };
  }

  /** Resolves a ref and validates the fleet config there (signature, schemas, allow-lists): enough to list clusters. */
  async fleetAt(ref?: string): Promise<{ commit: CommitInfo; fleet: FleetConfig }> {
    const { commit, gitDir, tree } = await this.treeAt(ref);
    await verifyCommitSignature(gitDir, commit.sha);
    return { commit, fleet: loadFleetConfig(tree) };
  }

  /** Every gate the rollout and the clusters apply, image gates included: before anything is started. */
  async gatedAt(
    ref?: string,
    passed?: (gate: CommitGate, note: string) => void,
  ): Promise<{ commit: CommitInfo; fleet: FleetConfig; gates: GateSummary; images: ImageVerdict[] }> {
    const { commit, gitDir, tree, dir } = await this.treeAt(ref);
    const gated = await checkCommitGates({ gitDir, sha: commit.sha, treeDir: tree, cacheDir: path.join(dir, 'image-verdicts'), passed });
    return { commit, ...gated };
  }

  async close(): Promise<void> {
    const client = await this.client?.catch(() => undefined);
    await client?.connection.close();
    await this.mongo?.close();
  }
}
