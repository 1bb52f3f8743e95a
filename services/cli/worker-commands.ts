import * as fs from 'node:fs';
import type { Command } from 'commander';
import { Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { MongoClient } from 'mongodb';
import { clusterIdSchema } from '../../config/inventory';
import { payloadKeys } from '../../config/payload-keys';
import { requireConfigRepo, runtimeEnv, type RuntimeEnv } from '../../config/runtime-env';
import { lucidDataConverter } from '../../workers/payload-codec';
import { createClusterWorker } from '../../workers/cluster';
import { createControlWorker } from '../../workers/control';
import { createReconcileWorker } from '../../workers/reconcile';
import { createNodeWorker, nodeWorkerContext } from '../../workers/node';
import { nodeKey } from '../../config/node-config';
import { chainEndpoint, chainKey, requireChainEndpoint } from '../../config/chain-config';
import { createChainWorker } from '../../workers/chain';
import { requirePayoutEndpoint, walletKeystore } from '../../config/payout-env';
import { createWalletWorker } from '../../workers/wallet';
import { installJsonLogger } from '../../workers/json-logger';
import { connectToConsole, watchConsoleEgress } from '../../workers/console-connection';
import { ageIdentities } from '../../config/age-identities';
import { egressProxy } from '../../config/egress-proxy';
import { temporalConnectionOptions } from '../../config/temporal-connection';
import { CliExit, EXIT } from './cli-output';
import { COMMAND_INDEX } from './command-index';

/** Foreground workers: what a Pi's systemd unit or container runs. */
export function registerWorkerCommands(program: Command, run: (fn: () => Promise<number>) => void): void {
  const worker = program.command('worker').description(COMMAND_INDEX.worker.description);

  worker
    .command('control')
    .description('the lucid-control worker (console host; holds MongoDB) and the lucid-reconcile workflow worker')
    .action(() =>
      run(async () => {
        const env = runtimeEnv();
        const proposalSigningKey = process.env.LUCID_CONSOLE_SIGNING_KEY;
        if (proposalSigningKey !== undefined && !fs.existsSync(proposalSigningKey)) {
          throw new CliExit(EXIT.badInput, `environment: LUCID_CONSOLE_SIGNING_KEY: no SSH key file at '${proposalSigningKey}' (the key the console signs proposals with)`);
        }
        installJsonLogger();
        const mongo = await new MongoClient(env.MONGO_URL).connect();
        const connection = await NativeConnection.connect(temporalConnectionOptions(env.TEMPORAL_ADDRESS));
        const clientConnection = await Connection.connect(temporalConnectionOptions(env.TEMPORAL_ADDRESS));
        try {
          const dataConverter = lucidDataConverter(payloadKeys());
          const w = await createControlWorker({
            connection,
            clientConnection,
            namespace: env.LUCID_NAMESPACE,
            db: mongo.db(env.LUCID_DB),
            repo: env.LUCID_CONFIG_REPO ? { url: env.LUCID_CONFIG_REPO, dataDir: env.LUCID_DATA_DIR } : undefined,
            dataConverter,
            chain: chainEndpoint(),
            proposalSigningKey,
          });
          const reconcile = await createReconcileWorker({ connection, namespace: env.LUCID_NAMESPACE, dataConverter });
          await Promise.all([w.run(), reconcile.run()]);
        } finally {
          await clientConnection.close();
          await connection.close();
          await mongo.close();
        }
        return EXIT.ok;
      }),
    );

  worker
    .command('cluster')
    .description("a cluster's reconciler worker (task queue cluster-<id>; holds that cluster's Docker socket)")
    .requiredOption('--id <id>', 'cluster id')
    .action((o: { id: string }) =>
      run(() =>
        runIdWorker(o.id, (connection, env, id) =>
          createClusterWorker({
            connection,
            namespace: env.LUCID_NAMESPACE,
            clusterId: id,
            repoUrl: requireConfigRepo(env),
            dataDir: env.LUCID_DATA_DIR,
            ageIdentities: ageIdentities(),
            dataConverter: lucidDataConverter(payloadKeys()),
            secretsDir: process.env.LUCID_SECRETS_DIR,
            egressProxy: egressProxy(),
          }),
        ),
      ),
    );

  worker
    .command('node')
    .description('a node worker (task queue node-<id>): records sessions, holds the node key and chunk store')
    .requiredOption('--id <id>', 'node id')
    .action((o: { id: string }) =>
      run(() =>
        runIdWorker(o.id, (connection, env, id) =>
          createNodeWorker({
            connection,
            namespace: env.LUCID_NAMESPACE,
            dataConverter: lucidDataConverter(payloadKeys()),
            ...nodeWorkerContext({ nodeId: id, dataDir: env.LUCID_DATA_DIR, nodeKey: nodeKey() }),
          }),
        ),
      ),
    );

  registerChainWorker(worker, run);
  registerWalletWorker(worker, run);
}

/** The chain plane's worker: the only process that reads LUCID_CHAIN_KEY_FILE. */
function registerChainWorker(worker: Command, run: (fn: () => Promise<number>) => void): void {
  worker
    .command('chain')
    .description('the chain worker (task queue chain): signs, broadcasts and confirms anchors; the only holder of the anchoring key')
    .action(() =>
      run(() => {
        const endpoint = requireChainEndpoint();
        const privateKey = chainKey();
        return runWorker((connection, env) =>
          createChainWorker({ connection, namespace: env.LUCID_NAMESPACE, endpoint, privateKey, dataConverter: lucidDataConverter(payloadKeys()) }),
        );
      }),
    );
}

/** The wallet plane's worker: the only process that reads LUCID_WALLET_KEYSTORE and its password file. */
function registerWalletWorker(worker: Command, run: (fn: () => Promise<number>) => void): void {
  worker
    .command('wallet')
    .description('the wallet worker (task queue wallet): simulates, signs, broadcasts and confirms payouts; the only holder of the payout key')
    .action(() =>
      run(() => {
        const endpoint = requirePayoutEndpoint();
        const { keystore, passwordFile } = walletKeystore();
        return runWorker((connection, env) =>
          createWalletWorker({
            connection,
            namespace: env.LUCID_NAMESPACE,
            endpoint,
            keystore: { file: keystore, passwordFile },
            dataConverter: lucidDataConverter(payloadKeys()),
          }),
        );
      }),
    );
}

/** A Pi's worker in the foreground: validates its id, connects, runs until stopped. */
function runIdWorker(rawId: string, create: (connection: NativeConnection, env: RuntimeEnv, id: string) => Promise<Worker>): Promise<number> {
  const id = clusterIdSchema.safeParse(rawId);
  if (!id.success) throw new CliExit(EXIT.badInput, `--id: '${rawId}' ${id.error.issues[0]!.message}`);
  return runWorker((connection, env) => create(connection, env, id.data));
}

/** One Pi worker in the foreground, JSON logs, until stopped; through LUCID_TEMPORAL_PROXY when it is set. */
async function runWorker(create: (connection: NativeConnection, env: RuntimeEnv) => Promise<Worker>): Promise<number> {
  const env = runtimeEnv();
  const proxy = egressProxy();
  installJsonLogger();
  const connection = await connectToConsole(temporalConnectionOptions(env.TEMPORAL_ADDRESS), proxy);
  const stopWatch = proxy && watchConsoleEgress(env.TEMPORAL_ADDRESS, proxy);
  try {
    await (await create(connection, env)).run();
  } finally {
    stopWatch?.();
    await connection.close();
  }
  return EXIT.ok;
}
