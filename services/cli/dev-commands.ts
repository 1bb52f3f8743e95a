import * as fs from 'node:fs';
import * as path from 'node:path';
import { Option, type Command } from 'commander';
import type { Inventory } from '../../config/inventory';
import { runtimeEnv } from '../../config/runtime-env';
import { s3Target } from '../../config/s3-config';
import { toolPaths } from '../stack/tool-paths';
import type { ComponentStatus } from '../stack/embedded-stack';
import { readStackState, type StackEngine } from '../stack/stack-state';
import { counted, printJson, say } from './cli-output';
import { COMMAND_INDEX } from './command-index';

/** A local path becomes absolute (workers run from other dirs); URLs pass through. */
function repoArg(repo: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(repo) || /^[^/]+@[^:]+:/.test(repo) ? repo : path.resolve(repo);
}

/** The embedded stack's one node worker (session recording). */
export const DEV_NODE = 'node-1';

// The stack, Docker, Temporal and schedule modules are imported inside each action, so `lucid dev <cmd> --help`
// answers without loading them.
export function registerDevCommands(program: Command, run: (fn: () => Promise<number>, json?: boolean) => void): void {
  const dev = program.command('dev').description(COMMAND_INDEX.dev.description);

  dev
    .command('up')
    .description('start Temporal, FerretDB, the registry, the chain (anvil), the control worker, one worker per cluster, one node worker, the chain and wallet workers, in the background')
    .option('--repo <path|url>', 'config repo (default: $LUCID_CONFIG_REPO)')
    .addOption(
      new Option('--engine <engine>', "dev: Temporal's dev server, FerretDB on SQLite; postgres: Temporal's own server and FerretDB on PostgreSQL (default: $LUCID_ENGINE, else the last dev up's, else dev)")
        .choices(['dev', 'postgres']),
    )
    .option('--postgres-port <port>', "the postgres engine's PostgreSQL port", '5432')
    .option('--temporal-port <port>', 'Temporal frontend port', '7233')
    .option('--ui-port <port>', 'Temporal UI port (default: frontend port + 1000)')
    .option('--mongo-port <port>', 'FerretDB port', '27017')
    .option('--registry-port <port>', 'local OCI registry port', '5000')
    .option('--chain-port <port>', 'local EVM chain (anvil) port; LUCID_CHAIN_RPC for another chain', '8545')
    .option('--s3-port <port>', 'object store (MinIO, when bootstrap --all built it) port, its console the next; LUCID_S3_ENDPOINT for another S3 service', '9000')
    .option('--poll-seconds <seconds>', 'how often the poll Schedule compares the branch head with the last rollout', '60')
    .option('--json', 'JSON on stdout')
    .action((o: {
      repo?: string; engine?: StackEngine; postgresPort: string; temporalPort: string; uiPort?: string; mongoPort: string; registryPort: string;
      chainPort: string; s3Port: string; pollSeconds: string; json?: boolean;
    }) =>
      run(async () => {
        const { CONSOLE_PORT, stackStatus, upStack } = await import('../stack/embedded-stack');
        const { ConsoleContext } = await import('../console-context');
        const env = runtimeEnv();
        const previous = readStackState(env.LUCID_DATA_DIR);
        const repo = o.repo ? repoArg(o.repo) : (env.LUCID_CONFIG_REPO ?? previous?.repoUrl);
        let inventory: Inventory | undefined;
        if (repo) {
          const ctx = new ConsoleContext({ ...env, LUCID_CONFIG_REPO: repo });
          inventory = (await ctx.fleetAt()).fleet.inventory;
          await ctx.close();
        } else {
          say('lucid: no config repo (--repo or LUCID_CONFIG_REPO): starting servers and the control worker only');
        }
        const clusters = inventory?.clusters.map((c) => c.id) ?? [];
        const s3Endpoint = s3Target()?.endpoint;
        const minioBuilt = fs.existsSync(toolPaths().minio);
        if (!s3Endpoint && !minioBuilt) say('lucid: no object store (LUCID_S3_ENDPOINT, or MinIO from `scripts/bootstrap.sh --all`): sessions stay on their node only');
        const state = await upStack({
          dataDir: env.LUCID_DATA_DIR,
          namespace: env.LUCID_NAMESPACE,
          engine: o.engine ?? env.LUCID_ENGINE ?? previous?.engine,
          postgresPort: Number(o.postgresPort),
          temporalAddress: process.env.TEMPORAL_ADDRESS,
          mongoUrl: process.env.MONGO_URL,
          temporalPort: Number(o.temporalPort),
          uiPort: o.uiPort ? Number(o.uiPort) : undefined,
          mongoPort: Number(o.mongoPort),
          registry: process.env.LUCID_REGISTRY,
          registryPort: Number(o.registryPort),
          chainRpc: process.env.LUCID_CHAIN_RPC,
          chainPort: Number(o.chainPort),
          s3Endpoint,
          s3Port: !s3Endpoint && minioBuilt ? Number(o.s3Port) : undefined,
          repoUrl: repo,
          uiCodecEndpoint:
            process.env.LUCID_PAYLOAD_KEYS && process.env.LUCID_CODEC_TOKEN ? `http://127.0.0.1:${CONSOLE_PORT}/codec` : undefined,
          workers: [
            'control',
            ...(process.env.LUCID_WEBHOOK_SECRET ? ['console'] : []),
            ...clusters.map((id) => `cluster:${id}`),
            `node:${DEV_NODE}`,
            'chain',
            'wallet',
          ],
        });
        if (inventory) {
          const ctx = new ConsoleContext({ ...env, TEMPORAL_ADDRESS: state.temporalAddress, LUCID_CONFIG_REPO: repo });
          const client = await ctx.temporal();
          const { ensurePollSchedule, ensureReplicaRepairSchedule, syncDriftSweeps } = await import('../../triggers/schedules');
          const { ensureAnchorIndexer } = await import('../../triggers/anchor-indexer');
          const { ensurePayoutSchedule } = await import('../../triggers/payout-schedule');
          await ensurePollSchedule(client, Number(o.pollSeconds));
          await ensureAnchorIndexer(client);
          await ensurePayoutSchedule(client);
          await ensureReplicaRepairSchedule(client);
          await syncDriftSweeps(client, clusters, inventory.driftCheckSeconds);
          await ctx.close();
        }
        const status = await stackStatus(env.LUCID_DATA_DIR);
        if (o.json) printJson(status);
        else for (const c of status) say(statusLine(c));
        return 0;
      }, o.json),
    );

  dev
    .command('status')
    .description('each component of the embedded stack and its address')
    .option('--json', 'JSON on stdout')
    .action((o: { json?: boolean }) =>
      run(async () => {
        const { stackStatus } = await import('../stack/embedded-stack');
        const env = runtimeEnv();
        const status = await stackStatus(env.LUCID_DATA_DIR);
        if (o.json) printJson(status);
        else for (const c of status) say(statusLine(c, true));
        return 0;
      }, o.json),
    );

  dev
    .command('down')
    .description('stop what `lucid dev up` started (data stays under the data dir); the clusters\' containers keep running unless --clusters')
    .option('--clusters', "also remove the clusters' containers and networks (named volumes are kept)")
    .action((o: { clusters?: boolean }) =>
      run(async () => {
        const { downStack } = await import('../stack/embedded-stack');
        const { clusterContainerCounts, removeClusterContainers } = await import('../../compose/cluster-containers');
        const { default: Docker } = await import('dockerode');
        const env = runtimeEnv();
        const clusterIds = (readStackState(env.LUCID_DATA_DIR)?.workers ?? []).flatMap((w) => (w.startsWith('cluster:') ? [w.slice(8)] : []));
        const stopped = await downStack(env.LUCID_DATA_DIR);
        say(stopped.length ? `stopped ${stopped.join(', ')}` : 'nothing was running');
        const left = await clusterContainerCounts(new Docker(), clusterIds);
        if (o.clusters) {
          for (const c of left) await removeClusterContainers(c.clusterId);
          if (left.length) say(`removed the containers of ${left.map((c) => c.clusterId).join(', ')}`);
        } else if (left.length) {
          const what = left.map((c) => `${c.clusterId} (${counted(c.containers, 'container')})`).join(', ');
          say(`the clusters' workloads still run: ${what}; remove them with: lucid dev down --clusters`);
        }
        return 0;
      }),
    );
}

function statusLine(c: ComponentStatus, external = false): string {
  const head = c.head !== undefined ? ` (block ${c.head})` : '';
  const detail = c.detail ? ` ${c.detail}` : '';
  return `${c.name.padEnd(22)} ${c.running ? 'running' : 'DOWN   '} ${c.address ?? ''}${head}${detail}${external && !c.embedded ? ' (external)' : ''}`;
}
