import type { temporal } from '@temporalio/proto';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import Docker from 'dockerode';
import { MongoClient, type Db } from 'mongodb';
import { runCompose } from '../../compose/compose-cli';
import { LABELS, projectName } from '../../compose/compose-labels';
import { ClusterStore } from '../../stores/cluster-store';
import { POLL_SCHEDULE_ID } from '../../triggers/schedules';
import type { StackOptions } from '../../services/stack/embedded-stack';
import { restartStackServer, type RestartableServer } from '../../services/stack/server-restart';
import { queueHasWorker } from '../../services/queue-workers';
import { ConfigRepoWriter } from '../../demo/config-repo-writer';
import { releaseDemoImages } from '../../demo/demo-images';
import { generateReleaseKey, type ReleaseKey } from '../../demo/image-release';
import { sampleFleetFiles, type SampleCluster, type SampleFleetOptions } from '../../demo/sample-fleet';
import { toolPaths } from '../../services/stack/tool-paths';
import { createClusterWorker } from '../../workers/cluster';
import { createChainWorker } from '../../workers/chain';
import { createControlWorker } from '../../workers/control';
import { createReconcileWorker } from '../../workers/reconcile';
import { readChainKeyFile } from '../../chain/chain-key';
import type { ChainEndpoint } from '../../config/chain-config';
import { createNodeWorker, nodeWorkerContext } from '../../workers/node';
import { payloadKeys } from '../../config/payload-keys';
import { lucidDataConverter } from '../../workers/payload-codec';
import type { reconcileCluster, rollout } from '../../workflows';
import type { RolloutInput, RolloutStatus } from '../../workflows/rollout-types';
import type { ReconcileResult } from '../../workflows/reconcile-types';
import { CONTROL_QUEUE, RECONCILE_QUEUE, reconcileWorkflowId, rolloutBatchWorkflowId, rolloutWaveWorkflowId, rolloutWorkflowId } from '../../workflows/task-queues';
import { testStack, type TestStack } from './test-stack';

export interface ContainerView {
  id: string;
  service: string;
  image: string;
  startedAt: string;
  state: string;
  health?: string;
  commit?: string;
  configHash?: string;
}

/**
 * A fleet under test: its own config repo, MongoDB database and data dir, the
 * shared Temporal server, and real workers (in-process, or as `lucid worker`
 * processes where a test kills them).
 */
export class FleetHarness {
  readonly docker = new Docker();
  /** The key of this fleet's node workers (base64), in-process and spawned alike. */
  readonly nodeKey = randomBytes(32).toString('base64');
  private readonly workers = new Map<string, { worker: Worker; done: Promise<void> }>();
  private readonly children = new Set<ChildProcess>();

  private constructor(
    readonly name: string,
    readonly stack: TestStack,
    readonly dataDir: string,
    readonly repo: ConfigRepoWriter,
    readonly client: Client,
    readonly nativeConnection: NativeConnection,
    readonly mongo: MongoClient,
    readonly clusters: SampleCluster[],
    /** Set: every client and worker of this fleet encrypts payloads with these keys. */
    readonly payloadKeys?: string,
  ) {}

  static async start(name: string, clusters: SampleCluster[], opts: { payloadKeys?: string } = {}): Promise<FleetHarness> {
    quietWorkers();
    const stack = testStack();
    process.env.LUCID_WORKFLOW_BUNDLE = stack.workflowBundle;
    const dataDir = path.join(stack.dataDir, name);
    fs.rmSync(dataDir, { recursive: true, force: true });
    const repo = await ConfigRepoWriter.open(path.join(dataDir, 'config.git'));
    const connection = await Connection.connect({ address: stack.temporalAddress });
    const client = new Client({ connection, namespace: stack.namespace, dataConverter: converterOf(opts.payloadKeys) });
    const nativeConnection = await NativeConnection.connect({ address: stack.temporalAddress });
    const mongo = await new MongoClient(stack.mongoUrl).connect();
    await mongo.db(dbName(name)).dropDatabase();
    const h = new FleetHarness(name, stack, dataDir, repo, client, nativeConnection, mongo, clusters, opts.payloadKeys);
    for (const c of clusters) await h.down(c.id);
    return h;
  }

  get db(): Db {
    return this.mongo.db(dbName(this.name));
  }

  get store(): ClusterStore {
    return new ClusterStore(this.db);
  }

  /** Environment for `lucid` processes pointed at this fleet. */
  get env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      TEMPORAL_ADDRESS: this.stack.temporalAddress,
      MONGO_URL: this.stack.mongoUrl,
      LUCID_REGISTRY: this.stack.registry,
      LUCID_CHAIN_RPC: this.stack.chainRpc,
      LUCID_CHAIN_CONTRACT: this.stack.chainContract,
      LUCID_NAMESPACE: this.stack.namespace,
      LUCID_DB: dbName(this.name),
      LUCID_DATA_DIR: this.dataDir,
      LUCID_CONFIG_REPO: this.repo.bareDir,
      LUCID_WORKFLOW_BUNDLE: this.stack.workflowBundle,
      LUCID_NODE_KEY: this.nodeKey,
      ...(this.payloadKeys ? { LUCID_PAYLOAD_KEYS: this.payloadKeys } : {}),
    };
  }

  commit(opts: SampleFleetOptions, message: string, write: { push?: boolean } = {}): Promise<string> {
    return this.repo.commit(sampleFleetFiles({ clusters: this.clusters, ...opts }), message, { replaceAll: true, ...write });
  }

  async startControlWorker(chain?: ChainEndpoint): Promise<void> {
    this.track(
      'control',
      await createControlWorker({
        connection: this.nativeConnection,
        clientConnection: this.client.connection as Connection,
        namespace: this.stack.namespace,
        db: this.db,
        repo: { url: this.repo.bareDir, dataDir: this.dataDir },
        dataConverter: converterOf(this.payloadKeys),
        chain: chain ?? this.chainEndpoint,
      }),
    );
    const dataConverter = converterOf(this.payloadKeys);
    this.track('reconcile', await createReconcileWorker({ connection: this.nativeConnection, namespace: this.stack.namespace, dataConverter }));
  }

  /** What `lucid worker control` exiting stops: the control worker and the reconcile worker it hosts. */
  async stopControlWorker(): Promise<void> {
    await this.stopWorker('control');
    await this.stopWorker('reconcile');
  }

  /** The test stack's chain and LucidAnchor contract. */
  get chainEndpoint(): ChainEndpoint {
    return { rpcUrl: this.stack.chainRpc, contract: this.stack.chainContract };
  }

  /** The chain plane's worker in this process, with the stack's authorised anchoring key unless another is given. */
  async startChainWorker(opts: { privateKey?: `0x${string}`; endpoint?: ChainEndpoint } = {}): Promise<void> {
    const worker = await createChainWorker({
      connection: this.nativeConnection,
      namespace: this.stack.namespace,
      endpoint: opts.endpoint ?? this.chainEndpoint,
      privateKey: opts.privateKey ?? readChainKeyFile(this.stack.chainKeyFile),
      dataConverter: converterOf(this.payloadKeys),
    });
    this.track('chain', worker);
  }

  async startClusterWorker(clusterId: string, secrets: { ageIdentities?: string[]; secretsDir?: string } = {}): Promise<void> {
    const worker = await createClusterWorker({
      ...secrets,
      connection: this.nativeConnection,
      namespace: this.stack.namespace,
      clusterId,
      repoUrl: this.repo.bareDir,
      dataDir: this.dataDir,
      docker: this.docker,
      dataConverter: converterOf(this.payloadKeys),
    });
    this.track(`cluster:${clusterId}`, worker);
  }

  /** A node worker in this process, configured by the same variables as `lucid worker node` (`LUCID_RECORD_INPUT`, …). */
  async startNodeWorker(nodeId: string, vars: NodeJS.ProcessEnv = {}): Promise<void> {
    const worker = await createNodeWorker({
      connection: this.nativeConnection,
      namespace: this.stack.namespace,
      dataConverter: converterOf(this.payloadKeys),
      ...nodeWorkerContext({ nodeId, dataDir: this.dataDir, nodeKey: Buffer.from(this.nodeKey, 'base64'), env: vars }),
    });
    this.track(`node:${nodeId}`, worker);
  }

  async stopWorker(key: string): Promise<void> {
    const w = this.workers.get(key);
    if (!w) return;
    this.workers.delete(key);
    w.worker.shutdown();
    await w.done;
  }

  /**
   * `lucid worker <kind> --id <id>` as its own process, as a Pi runs it; `vars` add to the fleet's environment.
   * `lucid worker chain` and `lucid worker wallet` take no id (`id` names the log file); give them their key's
   * variables (LUCID_CHAIN_KEY_FILE; LUCID_WALLET_KEYSTORE and LUCID_WALLET_PASSWORD_FILE) in `vars`.
   */
  spawnWorker(kind: 'cluster' | 'node' | 'chain' | 'wallet', id: string, vars: NodeJS.ProcessEnv = {}): ChildProcess {
    const logFile = fs.openSync(path.join(this.dataDir, `worker-${id}.log`), 'a');
    const args = kind === 'chain' || kind === 'wallet' ? ['worker', kind] : ['worker', kind, '--id', id];
    const child = spawn(process.execPath, [toolPaths().lucidCli, ...args], {
      env: { ...this.env, ...vars },
      stdio: ['ignore', logFile, logFile],
    });
    fs.closeSync(logFile);
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    return child;
  }

  /** Resolves once a worker polls `taskQueue`: a spawned worker takes seconds to connect, longer on a loaded machine. */
  async untilServed(taskQueue: string, timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await queueHasWorker(this.client, taskQueue))) {
      if (Date.now() > deadline) throw new Error(`no worker polled ${taskQueue} within ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Until the rollout's status query answers this state (and, given, a matching waitingFor): 60 s at most. */
  async untilRolloutState(sha: string, state: string, waitingFor?: RegExp): Promise<void> {
    for (let i = 0; i < 240; i++) {
      const s = await this.client.workflow.getHandle(rolloutWorkflowId(sha)).query<{ state: string; waitingFor?: string }>('status').catch(() => undefined);
      if (s?.state === state && (!waitingFor || waitingFor.test(s.waitingFor ?? ''))) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`rollout ${sha} never reached ${state} ${waitingFor ?? ''}`);
  }

  /** `lucid serve` for this fleet on a port, once its /healthz answers; killed when the fleet closes. */
  async serve(port: number, vars: NodeJS.ProcessEnv): Promise<ChildProcess> {
    const child = spawn(process.execPath, [toolPaths().lucidCli, 'serve', '--port', String(port)], { env: { ...this.env, ...vars }, stdio: 'ignore' });
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    for (let i = 0; i < 100; i++) {
      if (await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false)) return child;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`lucid serve did not come up on port ${port}`);
  }

  /** Runs the `lucid` CLI against this fleet (`vars` add to its environment); resolves with its exit code and output. */
  cli(args: string[], vars: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    return this.cliWith({ ...this.env, ...vars }, args);
  }

  cliWith(env: NodeJS.ProcessEnv, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [toolPaths().lucidCli, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  }

  startReconcile(clusterId: string, commit: string, healthTimeoutSeconds = 60): Promise<WorkflowHandle<typeof reconcileCluster>> {
    return this.client.workflow.start<typeof reconcileCluster>('reconcileCluster', {
      taskQueue: RECONCILE_QUEUE,
      workflowId: reconcileWorkflowId(clusterId, commit),
      args: [{ clusterId, commit, healthTimeoutSeconds }],
    });
  }

  async reconcile(clusterId: string, commit: string, healthTimeoutSeconds = 60): Promise<ReconcileResult> {
    return (await this.startReconcile(clusterId, commit, healthTimeoutSeconds)).result();
  }

  async rollout(commit: string, trigger?: RolloutInput['trigger']): Promise<RolloutStatus> {
    return (await this.startRollout(commit, trigger)).result();
  }

  /**
   * The applyCommit activities a rollout's batch is running now (its first batch of `wave`'s reconcile step),
   * with their state and last heartbeat: how a test catches a rollout mid-change.
   */
  async pendingApplies(commit: string, wave: string): Promise<temporal.api.workflow.v1.IPendingActivityInfo[]> {
    const batch = rolloutBatchWorkflowId(rolloutWaveWorkflowId(rolloutWorkflowId(commit), wave), 'reconcile', 0);
    const raw = await this.client.workflow.getHandle(batch).describe().then((d) => d.raw, () => undefined);
    return (raw?.pendingActivities ?? []).filter((a) => a.activityType?.name === 'applyCommit');
  }

  startRollout(commit: string, trigger?: RolloutInput['trigger']): Promise<WorkflowHandle<typeof rollout>> {
    return this.client.workflow.start<typeof rollout>('rollout', {
      taskQueue: CONTROL_QUEUE,
      workflowId: rolloutWorkflowId(commit),
      args: [{ commit, trigger }],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
  }

  /**
   * The demo images pushed to the test stack's registry and released under one key every suite of the run shares:
   * they are released once a registry, so a suite with a key of its own would find them signed by another.
   */
  async releasedDemoImages(): Promise<{ key: ReleaseKey; images: Record<string, string> }> {
    const key = await generateReleaseKey(path.join(this.stack.dataDir, 'demo-release-key'), 'release');
    return { key, images: await releaseDemoImages(this.docker, this.stack.registry, key) };
  }

  /** A file inside a service's running container, as its bytes: read without a TTY, which would turn LF into CRLF. */
  async fileInContainer(clusterId: string, service: string, file: string): Promise<string> {
    const container = (await this.containers(clusterId)).find((c) => c.service === service);
    if (!container) throw new Error(`cluster ${clusterId}: no container of ${service}`);
    const exec = await this.docker.getContainer(container.id).exec({ Cmd: ['cat', file], AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({});
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (d: Buffer) => chunks.push(d));
    this.docker.modem.demuxStream(stream, out, process.stderr);
    await new Promise((resolve) => stream.on('end', resolve));
    return Buffer.concat(chunks).toString();
  }

  async containers(clusterId: string): Promise<ContainerView[]> {
    const list = await this.docker.listContainers({
      all: true,
      filters: { label: [`${LABELS.composeProject}=${projectName(clusterId)}`] },
    });
    const views = await Promise.all(
      list.map(async (c): Promise<ContainerView | undefined> => {
        // Compose may replace a container between the list and the inspect; a vanished one is not there.
        const info = await this.docker
          .getContainer(c.Id)
          .inspect()
          .catch((err: { statusCode?: number }) => {
            if (err.statusCode === 404) return undefined;
            throw err;
          });
        if (!info) return undefined;
        return {
          id: c.Id,
          service: c.Labels[LABELS.composeService]!,
          image: info.Config.Image,
          startedAt: info.State.StartedAt,
          state: info.State.Status,
          health: info.State.Health?.Status,
          commit: c.Labels[LABELS.commit],
          configHash: c.Labels[LABELS.configHash],
        };
      }),
    );
    return views.filter((v): v is ContainerView => v !== undefined).sort((a, b) => a.service.localeCompare(b.service));
  }

  async down(clusterId: string): Promise<void> {
    await runCompose(['-p', projectName(clusterId), 'down', '-v', '--remove-orphans', '--timeout', '1']);
  }

  /** Stops the shared Temporal server (`signal`: SIGKILL for kill -9) and starts it again on the same database. */
  async restartTemporal(downMs = 3000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.restart('temporal', downMs, signal);
  }

  /** Restarts the postgres engine's PostgreSQL under Temporal and FerretDB (SIGINT: its fast shutdown, as `pg_ctl restart`). */
  async restartPostgres(downMs = 3000): Promise<void> {
    await this.restart('postgres', downMs, 'SIGINT');
  }

  private async restart(server: RestartableServer, downMs: number, signal: NodeJS.Signals): Promise<void> {
    await restartStackServer(this.stackOptions, server, signal, downMs);
  }

  /** What the run's stack was started with: its servers start again on the same ports and data. */
  get stackOptions(): StackOptions {
    return {
      dataDir: this.stack.dataDir,
      namespace: this.stack.namespace,
      engine: this.stack.engine,
      postgresPort: this.stack.postgresPort,
      temporalPort: this.stack.temporalPort,
      mongoPort: this.stack.mongoPort,
      registryPort: this.stack.registryPort,
      chainPort: this.stack.chainPort,
      workers: [],
    };
  }

  async close(): Promise<void> {
    // Anchoring's long-running workflows are one per namespace: the next fleet's control worker must not pick up this one's.
    const anchoring = `WorkflowType IN ('anchorBatcher', 'anchorBatch', 'anchorIndexer') AND ExecutionStatus = 'Running'`;
    for await (const wf of this.client.workflow.list({ query: anchoring })) {
      await this.client.workflow.getHandle(wf.workflowId, wf.runId).terminate('test fleet closed').catch(() => undefined);
    }
    // The suites share one namespace: another fleet's rollout would otherwise sweep these clusters after they are gone.
    for await (const s of this.client.schedule.list()) {
      if (s.scheduleId === POLL_SCHEDULE_ID || s.scheduleId.startsWith('drift-')) await this.client.schedule.getHandle(s.scheduleId).delete().catch(() => undefined);
    }
    for (const key of [...this.workers.keys()]) await this.stopWorker(key);
    for (const child of this.children) child.kill('SIGKILL');
    for (const c of this.clusters) await this.down(c.id).catch(() => undefined);
    await this.nativeConnection.close();
    await this.client.connection.close();
    await this.mongo.close();
  }

  private track(key: string, worker: Worker): void {
    this.workers.set(key, { worker, done: worker.run() });
  }
}

function converterOf(keys: string | undefined) {
  return lucidDataConverter(keys ? payloadKeys({ LUCID_PAYLOAD_KEYS: keys }) : undefined);
}

/** Worker state chatter drowns test output; warnings and errors still show. */
function quietWorkers(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // already installed by an earlier suite in this process
  }
}

function dbName(name: string): string {
  return `lucid_test_${name.replace(/[^a-z0-9]/gi, '_')}`;
}
