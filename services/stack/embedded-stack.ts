import * as fs from 'node:fs';
import * as path from 'node:path';
import { Connection } from '@temporalio/client';
import { MongoClient } from 'mongodb';
import { formatUnits } from 'viem';
import { AnchorChain } from '../../chain/anchor-chain';
import { EvmPayoutChain } from '../../chain/evm-payout-chain';
import { anvilArgs, rpcChainId } from '../../chain/anvil';
import { readChainKeyFile } from '../../chain/chain-key';
import { provisionAnchor } from '../../chain/provision-anchor';
import { provisionPayouts, type PayoutProvision } from '../../chain/provision-payouts';
import { runtimeEnv } from '../../config/runtime-env';
import { temporalConnectionOptions } from '../../config/temporal-connection';
import { redactUrl } from '../../repo/redact-url';
import { devServerFlags } from './fleet-dynamic-config';
import { ManagedProcess, portOpen, waitFor } from './managed-process';
import { ensureObjectStore, objectStoreEnv, objectStoreReady, DEFAULT_BUCKET, type ObjectStoreState } from './object-store';
import { type ChainState, type StackEngine, type StackState, readStackState, stackDir } from './stack-state';
import { HOST, need, portFree } from './stack-ports';
import { ensureChainKeyFile, ensureNodeKeyFile } from './node-key-file';
import { ensurePayoutKeystore } from './payout-wallet';
import { ensurePostgres } from './postgres-server';
import { ensureSearchAttributes } from './search-attribute-registry';
import { describeTemporal } from './temporal-identity';
import { ensureDatabases, ensureTemporalServer, FERRETDB_DATABASE } from './temporal-server';
import { toolPaths } from './tool-paths';

export interface StackOptions {
  dataDir: string;
  namespace: string;
  engine?: StackEngine;
  /** The postgres engine's PostgreSQL port. */
  postgresPort?: number;
  /** Set: use this Temporal and start none. */
  temporalAddress?: string;
  /** Set: use this MongoDB and start no FerretDB. */
  mongoUrl?: string;
  temporalPort?: number;
  uiPort?: number;
  mongoPort?: number;
  /** Set (host:port): use this registry and start none. */
  registry?: string;
  /** The embedded OCI registry (the stand-in for the fleet's registry mirror). */
  registryPort?: number;
  /** Set: anchor on this EVM chain (LUCID_CHAIN_RPC) and start none. */
  chainRpc?: string;
  /** The embedded chain's (anvil's) port. */
  chainPort?: number;
  /** Set: node workers replicate to this S3 service (LUCID_S3_ENDPOINT, bucket LUCID_S3_BUCKET) and no MinIO starts. */
  s3Endpoint?: string;
  /** Without s3Endpoint: start the embedded MinIO on this port (its console on the next). */
  s3Port?: number;
  repoUrl?: string;
  /** Where the Temporal UI asks to decode encrypted payloads (`lucid serve`'s /codec). */
  uiCodecEndpoint?: string;
  /** Processes to run: `control`, `console` (webhook and metrics), `cluster:<id>` and `node:<id>` entries. Empty for servers only. */
  workers?: string[];
}

export interface ComponentStatus {
  name: string;
  embedded: boolean;
  running: boolean;
  address?: string;
  pid?: number;
  log?: string;
  /** The chain's head block number. */
  head?: number;
  /** What else is worth seeing at a glance (a payout router's payer and balance). */
  detail?: string;
}

/** Six decimals: a million test dollars a batch at most, ten million in each router at every `dev up`. */
const PAYOUT_BATCH_CAP = 1_000_000n * 10n ** 6n;
const PAYOUT_FUND = 10_000_000n * 10n ** 6n;

export const CONSOLE_PORT = 8780;

function proc(dataDir: string, name: string): ManagedProcess {
  return new ManagedProcess(name.replace(':', '-'), stackDir(dataDir));
}

/** Starts what is not already running; an external TEMPORAL_ADDRESS or MONGO_URL replaces the embedded one. */
export async function upStack(opts: StackOptions): Promise<StackState> {
  const tools = toolPaths();
  const dir = stackDir(opts.dataDir);
  fs.mkdirSync(dir, { recursive: true });
  const temporalPort = opts.temporalPort ?? 7233;
  const uiPort = opts.uiPort ?? temporalPort + 1000;
  const mongoPort = opts.mongoPort ?? 27017;
  const temporalAddress = opts.temporalAddress ?? `${HOST}:${temporalPort}`;
  const mongoUrl = opts.mongoUrl ?? `mongodb://${HOST}:${mongoPort}/`;
  const registryPort = opts.registryPort ?? 5000;
  const registry = opts.registry ?? `${HOST}:${registryPort}`;
  const engine = opts.engine ?? 'dev';
  const postgresPort = opts.postgresPort ?? 5432;
  const postgresUrl =
    engine === 'postgres' && (!opts.temporalAddress || !opts.mongoUrl)
      ? await ensurePostgres(proc(opts.dataDir, 'postgres'), opts.dataDir, postgresPort)
      : undefined;
  if (postgresUrl) await ensureDatabases(opts.dataDir, postgresPort);

  if (!opts.temporalAddress && engine === 'postgres') {
    await ensureTemporalServer(proc(opts.dataDir, 'temporal'), { dataDir: opts.dataDir, port: temporalPort, pgPort: postgresPort, namespace: opts.namespace });
  } else if (!opts.temporalAddress) {
    const temporal = proc(opts.dataDir, 'temporal');
    if (!temporal.running()) {
      need(tools.temporal, 'Temporal CLI');
      await portFree(temporalPort, 'Temporal', '--temporal-port, or TEMPORAL_ADDRESS for an external server');
      fs.mkdirSync(path.join(opts.dataDir, 'temporal'), { recursive: true });
      temporal.start(tools.temporal, [
        'server', 'start-dev',
        '--db-filename', path.join(opts.dataDir, 'temporal', 'temporal.db'),
        // SQLite's default rollback journal creates, fsyncs and deletes a file per transaction on the server's one
        // connection: 100 workflows of 6 activities took 62 s. A write-ahead log with every commit still fsynced
        // (synchronous=FULL, as Temporal's own SQLite file config) took 16 s, and survives a power cut as before.
        '--sqlite-pragma', 'journal_mode=wal',
        '--sqlite-pragma', 'synchronous=full',
        '--namespace', opts.namespace,
        '--ip', HOST,
        '--port', String(temporalPort),
        '--ui-port', String(uiPort),
        '--ui-disable-news-fetch',
        ...devServerFlags(),
        ...(opts.uiCodecEndpoint ? ['--ui-codec-endpoint', opts.uiCodecEndpoint] : []),
        '--log-format', 'json',
        '--log-level', 'warn',
      ]);
    }
    await waitFor('Temporal', () => namespaceReady(temporalAddress, opts.namespace), 60000, () => `\n${temporal.logTail()}`);
  }
  // The TLS variables are for an existing cluster; the embedded servers listen in plaintext on loopback.
  await ensureSearchAttributes(opts.temporalAddress ? temporalConnectionOptions(temporalAddress) : { address: temporalAddress }, opts.namespace);

  if (!opts.mongoUrl) {
    const ferret = proc(opts.dataDir, 'ferretdb');
    if (!ferret.running()) {
      need(tools.ferretdb, 'FerretDB');
      await portFree(mongoPort, 'FerretDB', '--mongo-port, or MONGO_URL for an external MongoDB');
      const stateDir = path.join(opts.dataDir, 'ferretdb');
      fs.mkdirSync(stateDir, { recursive: true });
      ferret.start(tools.ferretdb, [
        ...(postgresUrl ? ['--handler=postgresql', `--postgresql-url=${postgresUrl}/${FERRETDB_DATABASE}`] : ['--handler=sqlite', `--sqlite-url=file:${stateDir}/`]),
        `--listen-addr=${HOST}:${mongoPort}`,
        `--state-dir=${stateDir}`,
        '--debug-addr=',
        '--telemetry=disable',
        '--log-level=warn',
        '--log-format=json',
      ]);
    }
    await waitFor('FerretDB', () => mongoReady(mongoUrl), 30000, () => `\n${ferret.logTail()}`);
  }

  if (!opts.registry) await ensureRegistry(opts.dataDir, registryPort);

  const objectStore: ObjectStoreState | undefined = opts.s3Endpoint
    ? { endpoint: opts.s3Endpoint, bucket: process.env.LUCID_S3_BUCKET || DEFAULT_BUCKET, embedded: false }
    : opts.s3Port !== undefined
      ? await ensureObjectStore(proc(opts.dataDir, 'minio'), opts.dataDir, opts.s3Port)
      : undefined;

  const previous = readStackState(opts.dataDir);
  const chain = await ensureChain(opts, previous?.chain);

  // Workers of a previous `dev up` that this one no longer wants (a cluster left the inventory, the repo
  // changed) are stopped, or they would run on unmanaged and `dev down` would no longer know them.
  for (const w of previous?.workers ?? []) {
    if (!(opts.workers ?? []).includes(w) || previous?.repoUrl !== opts.repoUrl) await proc(opts.dataDir, `worker-${w}`).stop();
  }

  const state: StackState = {
    namespace: opts.namespace,
    engine,
    ...(postgresUrl && { postgresUrl }),
    temporalAddress,
    // The production server has no built-in UI (Temporal ships it separately).
    temporalUi: opts.temporalAddress || engine === 'postgres' ? undefined : `http://${HOST}:${uiPort}`,
    mongoUrl,
    registry,
    repoUrl: opts.repoUrl,
    dataDir: opts.dataDir,
    workers: opts.workers ?? [],
    nodes: Object.fromEntries(
      (opts.workers ?? []).filter((w) => w.startsWith('node:')).map((w) => [w.slice(5), { keyFile: ensureNodeKeyFile(opts.dataDir, w.slice(5)) }]),
    ),
    chain,
    ...(objectStore && { objectStore }),
  };
  fs.writeFileSync(path.join(dir, 'stack.json'), JSON.stringify(state, null, 2));

  // The anchoring key's file is handed to the chain worker alone, never inherited by the others.
  const { LUCID_CHAIN_KEY_FILE: _chainKey, ...inherited } = process.env;
  const workerEnv: NodeJS.ProcessEnv = {
    ...inherited,
    TEMPORAL_ADDRESS: temporalAddress,
    MONGO_URL: mongoUrl,
    LUCID_NAMESPACE: opts.namespace,
    LUCID_DATA_DIR: opts.dataDir,
    LUCID_CHAIN_RPC: chain.rpc,
    LUCID_CHAIN_CONTRACT: chain.contract,
    ...(opts.repoUrl ? { LUCID_CONFIG_REPO: opts.repoUrl } : {}),
  };
  for (const w of state.workers) {
    const p = proc(opts.dataDir, `worker-${w}`);
    if (p.running()) continue;
    const [kind, id] = w.split(':') as [string, string | undefined];
    const args =
      kind === 'control' || kind === 'chain' || kind === 'wallet' ? ['worker', kind] : kind === 'console' ? ['serve', '--port', String(CONSOLE_PORT)] : ['worker', kind, '--id', id!];
    p.start(process.execPath, [tools.lucidCli, ...args], workerEnvOf(kind, id));
  }
  return state;

  /** Each key reaches only its own plane's worker: the node key the node worker, the anchoring key the chain worker. */
  function workerEnvOf(kind: string, id: string | undefined): NodeJS.ProcessEnv {
    if (kind === 'node') {
      const key = process.env.LUCID_NODE_KEY || process.env.LUCID_NODE_KEY_FILE ? {} : { LUCID_NODE_KEY_FILE: state.nodes![id!]!.keyFile };
      return { ...workerEnv, ...key, ...(objectStore?.embedded && objectStoreEnv(objectStore)) };
    }
    if (kind === 'chain') return { ...workerEnv, LUCID_CHAIN_KEY_FILE: _chainKey ?? chain.keyFile };
    if (kind === 'wallet') return { ...workerEnv, ...walletEnv(chain.payouts) };
    return workerEnv;
  }
}

/** The wallet worker's variables: the routers it pays through and where its keystore is; never the key itself. */
function walletEnv(p: ChainState['payouts']): NodeJS.ProcessEnv {
  return {
    LUCID_PAYOUT_TOKEN: p.token,
    LUCID_PAYOUT_ROUTER_PR0: p.routers.PR0,
    LUCID_PAYOUT_ROUTER_PRKYC: p.routers.PRKYC,
    LUCID_WALLET_KEYSTORE: p.keystoreFile,
    LUCID_WALLET_PASSWORD_FILE: p.passwordFile,
  };
}

export async function stackStatus(dataDir: string): Promise<ComponentStatus[]> {
  const state = readStackState(dataDir);
  if (!state) return connectedStatus();
  const out: ComponentStatus[] = [];
  const embedded = (name: string, address?: string): ComponentStatus => {
    const p = proc(dataDir, name);
    return { name, embedded: true, running: p.running(), address, pid: p.running() ? p.pid() : undefined, log: p.logFile };
  };
  const temporalExternal = state && !fs.existsSync(proc(dataDir, 'temporal').pidFile);
  const temporal: ComponentStatus = temporalExternal
    ? { name: 'temporal', embedded: false, running: false, address: state.temporalAddress }
    : embedded('temporal', state?.temporalAddress);
  if (temporal.address) {
    const [h, p] = temporal.address.split(':');
    temporal.running = (temporal.running || temporalExternal === true) && (await portOpen(h!, Number(p)));
  }
  if (state && temporal.running) {
    const connection = temporalExternal ? temporalConnectionOptions(state.temporalAddress) : { address: state.temporalAddress };
    temporal.detail = `engine ${temporalExternal ? 'external' : (state.engine ?? 'dev')}, ${await describeTemporal(connection)}`;
  }
  out.push(temporal);
  if (state?.postgresUrl) out.push(embedded('postgres', state.postgresUrl));
  if (state?.temporalUi) out.push({ ...embedded('temporal'), name: 'temporal-ui', address: state.temporalUi });
  const mongoExternal = state && !fs.existsSync(proc(dataDir, 'ferretdb').pidFile);
  out.push(
    mongoExternal
      ? { name: 'mongodb', embedded: false, running: await mongoReady(state.mongoUrl), address: redactUrl(state.mongoUrl) }
      : { ...embedded('ferretdb', state ? redactUrl(state.mongoUrl) : undefined), name: 'ferretdb' },
  );
  const registryExternal = state && !fs.existsSync(proc(dataDir, 'registry').pidFile);
  out.push(
    registryExternal
      ? { name: 'registry', embedded: false, running: await registryReady(state.registry), address: state.registry }
      : embedded('registry', state?.registry),
  );
  if (state?.chain) {
    const { rpc, embedded: isEmbedded } = state.chain;
    const head = await new AnchorChain({ rpcUrl: rpc, contract: state.chain.contract }).head().catch(() => undefined);
    const base = isEmbedded ? embedded('chain', rpc) : { name: 'chain', embedded: false, running: true, address: rpc };
    out.push({ ...base, running: base.running && head !== undefined, ...(head ? { head: head.number } : {}) });
    if (state.chain.payouts) out.push(...(await payoutStatus(rpc, state.chain.payouts, isEmbedded)));
  }
  if (state.objectStore) out.push(await objectStoreStatus(dataDir, state.objectStore));
  for (const w of state?.workers ?? []) {
    const address = w === 'control' ? 'lucid-control' : w === 'console' ? `http://${HOST}:${CONSOLE_PORT}` : w.replace(':', '-');
    out.push({ ...embedded(`worker-${w}`), name: `worker:${w}`, address });
  }
  return out;
}

/**
 * Without a `dev up` here: the Temporal and MongoDB this machine's Lucid processes would use (TEMPORAL_ADDRESS
 * and its TLS variables, MONGO_URL), an existing cluster's, say.
 */
async function connectedStatus(): Promise<ComponentStatus[]> {
  const env = runtimeEnv();
  const options = temporalConnectionOptions(env.TEMPORAL_ADDRESS);
  const [h, p] = env.TEMPORAL_ADDRESS.split(':');
  const temporalUp = await portOpen(h!, Number(p));
  return [
    {
      name: 'temporal',
      embedded: false,
      running: temporalUp,
      address: env.TEMPORAL_ADDRESS,
      ...(temporalUp && { detail: `engine external, namespace ${env.LUCID_NAMESPACE}, ${await describeTemporal(options)}` }),
    },
    { name: 'mongodb', embedded: false, running: await mongoReady(env.MONGO_URL), address: redactUrl(env.MONGO_URL) },
  ];
}

/** The payout token and routers: each with its address and whether it answers; a router with its payer and balance. */
async function payoutStatus(rpc: string, p: PayoutProvision, isEmbedded: boolean): Promise<ComponentStatus[]> {
  const chain = new EvmPayoutChain({ rpcUrl: rpc, chainId: p.chainId, token: p.token, routers: p.routers });
  const answers = await chain.balanceOf(p.wallet).then(() => true, () => false);
  const out: ComponentStatus[] = [{ name: 'payout-token', embedded: isEmbedded, running: answers, address: p.token, detail: `wallet ${p.wallet}` }];
  for (const r of ['PR0', 'PRKYC'] as const) {
    const [payer, balance] = await Promise.all([chain.payerOf(r).catch(() => undefined), chain.balanceOf(p.routers[r]).catch(() => undefined)]);
    const detail = `payer ${payer ?? '?'}, balance ${balance === undefined ? '?' : formatUnits(balance, 6)}`;
    out.push({ name: `payout-router:${r}`, embedded: isEmbedded, running: payer !== undefined, address: p.routers[r], detail });
  }
  return out;
}

/** Stops only what this stack started, workers first so they drain against live servers. */
export async function downStack(dataDir: string): Promise<string[]> {
  const state = readStackState(dataDir);
  // SIGTERM lets anvil dump its state file; only a hard kill loses its newest blocks.
  const names = [...(state?.workers ?? []).map((w) => `worker-${w}`), 'chain', 'minio', 'registry', 'ferretdb', 'temporal'];
  const stopped: string[] = [];
  for (const n of names) if (await proc(dataDir, n).stop()) stopped.push(n);
  // Last, once its clients are gone; SIGINT is PostgreSQL's fast shutdown (SIGTERM would wait on idle clients).
  if (await proc(dataDir, 'postgres').stop(30000, 'SIGINT')) stopped.push('postgres');
  return stopped;
}

/** The object store sealed chunks are replicated to: the embedded MinIO, or the S3 service LUCID_S3_ENDPOINT names. */
async function objectStoreStatus(dataDir: string, s: ObjectStoreState): Promise<ComponentStatus> {
  const p = proc(dataDir, 'minio');
  const running = (!s.embedded || p.running()) && (await objectStoreReady(s.endpoint));
  const detail = `bucket ${s.bucket}${s.credentialsFile ? `, credentials ${s.credentialsFile}` : ''}`;
  return { name: 'object-store', embedded: s.embedded, running, address: s.endpoint, ...(s.embedded && { pid: p.running() ? p.pid() : undefined, log: p.logFile }), detail };
}

async function namespaceReady(address: string, namespace: string): Promise<boolean> {
  const [h, p] = address.split(':');
  if (!(await portOpen(h!, Number(p)))) return false;
  const conn = await Connection.connect({ address, connectTimeout: 2000 }).catch(() => undefined);
  if (!conn) return false;
  try {
    await conn.workflowService.describeNamespace({ namespace });
    return true;
  } catch {
    return false;
  } finally {
    await conn.close();
  }
}

export async function mongoReady(url: string): Promise<boolean> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 1000, connectTimeoutMS: 1000 });
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
    return true;
  } catch {
    return false;
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** Starts the embedded registry unless it runs; returns its host:port. */
export async function ensureRegistry(dataDir: string, port: number): Promise<string> {
  const address = `${HOST}:${port}`;
  const registry = proc(dataDir, 'registry');
  if (!registry.running()) {
    const bin = toolPaths().registry;
    need(bin, 'the distribution registry');
    await portFree(port, 'registry', '--registry-port, or LUCID_REGISTRY for an external registry');
    registry.start(bin, ['serve', writeRegistryConfig(dataDir, address)]);
  }
  await waitFor('registry', () => registryReady(address), 30000, () => `\n${registry.logTail()}`);
  return address;
}

/**
 * Starts the embedded anvil unless it runs (or LUCID_CHAIN_RPC names another chain), then makes
 * LucidAnchor ready for this stack's anchoring key: the contract `dev up` recorded when its code
 * is still on that chain, a fresh deployment otherwise.
 */
async function ensureChain(opts: StackOptions, recorded: ChainState | undefined): Promise<ChainState> {
  const port = opts.chainPort ?? 8545;
  const rpc = opts.chainRpc ?? `http://${HOST}:${port}`;
  const anvil = proc(opts.dataDir, 'chain');
  if (!opts.chainRpc && !anvil.running()) {
    const bin = toolPaths().anvil;
    need(bin, 'anvil');
    await portFree(port, 'chain', '--chain-port, or LUCID_CHAIN_RPC for another EVM chain');
    anvil.start(bin, anvilArgs({ port, stateFile: path.join(stackDir(opts.dataDir), 'chain-state.json') }));
  }
  await waitFor('chain', async () => (await rpcChainId(rpc)) !== undefined, 30000, () => (opts.chainRpc ? ` at ${rpc}` : `\n${anvil.logTail()}`));
  const keyFile = ensureChainKeyFile(opts.dataDir, 'anchor');
  const ownerKey = readChainKeyFile(ensureChainKeyFile(opts.dataDir, 'owner'));
  const same = recorded?.rpc === rpc ? recorded : undefined;
  const p = await provisionAnchor({ rpcUrl: rpc, anchorKey: readChainKeyFile(keyFile), ownerKey, recorded: same });
  const { keystoreFile, passwordFile, address: wallet } = ensurePayoutKeystore(path.join(stackDir(opts.dataDir), 'wallet'));
  const payouts = await provisionPayouts({ rpcUrl: rpc, ownerKey, wallet, batchCap: PAYOUT_BATCH_CAP, fund: PAYOUT_FUND, recorded: same?.payouts });
  return {
    rpc,
    chainId: p.chainId,
    contract: p.contract,
    deployBlock: p.deployBlock,
    keyFile,
    sender: p.sender,
    embedded: !opts.chainRpc,
    payouts: { ...payouts, keystoreFile, passwordFile },
  };
}

/** Filesystem storage under the data dir; deletes allowed so an operator can garbage-collect old digests. */
function writeRegistryConfig(dataDir: string, address: string): string {
  const dir = path.join(dataDir, 'registry');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'config.yml');
  const config = {
    version: 0.1,
    log: { level: 'warn', formatter: 'json' },
    storage: { filesystem: { rootdirectory: path.join(dir, 'data') }, delete: { enabled: true } },
    http: { addr: address },
  };
  fs.writeFileSync(file, JSON.stringify(config, null, 2)); // JSON is YAML
  return file;
}

async function registryReady(address: string): Promise<boolean> {
  const res = await fetch(`http://${address}/v2/`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
  return res?.status === 200;
}
