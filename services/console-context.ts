import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { MongoClient, type Db } from 'mongodb';
import { verifyCommitSignature } from '../activities/cluster/commit-signature';
import { GitMirror } from '../activities/cluster/git-mirror';
import { pruneTrees } from '../activities/cluster/tree-pruning';
import { ClusterStore } from '../activities/control/cluster-store';
import { RolloutStore } from '../activities/control/rollout-store';
import { loadFleetConfig, type FleetConfig } from '../config/fleet-config';
import { payloadKeys } from '../config/payload-keys';
import { lucidDataConverter } from '../workers/payload-codec';
import { requireConfigRepo, runtimeEnv, type RuntimeEnv } from '../config/runtime-env';
import type { CommitInfo } from '../workflows/reconcile-types';
import { readStackState } from './stack/embedded-stack';

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
  private client?: Client;
  private mongo?: MongoClient;

  constructor(readonly env: RuntimeEnv) {}

  async temporal(): Promise<Client> {
    if (!this.client) {
      const connection = await Connection.connect({ address: this.env.TEMPORAL_ADDRESS, connectTimeout: 5000 });
      this.client = new Client({ connection, namespace: this.env.LUCID_NAMESPACE, dataConverter: lucidDataConverter(payloadKeys()) });
    }
    return this.client;
  }

  async db(): Promise<Db> {
    if (!this.mongo) {
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

  mirror(): GitMirror {
    return new GitMirror(requireConfigRepo(this.env), path.join(this.env.LUCID_DATA_DIR, 'console', 'repo.git'));
  }

  /** Resolves a ref at the console and validates the whole fleet config at that commit. */
  async fleetAt(ref?: string): Promise<{ commit: CommitInfo; fleet: FleetConfig }> {
    const mirror = this.mirror();
    const commit = await mirror.fetchAndResolve(ref);
    await verifyCommitSignature(mirror.mirrorDir, commit.sha);
    const treesDir = path.join(this.env.LUCID_DATA_DIR, 'console', 'trees');
    const tree = await mirror.materialize(commit.sha, treesDir);
    pruneTrees(treesDir, [commit.sha]);
    return { commit, fleet: loadFleetConfig(tree) };
  }

  async close(): Promise<void> {
    await this.client?.connection.close();
    await this.mongo?.close();
  }
}
