import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import type { StackOptions } from '../../services/stack/embedded-stack';
import { sleep } from '../../services/stack/managed-process';
import { restartStackServer, type RestartableServer } from '../../services/stack/server-restart';
import { ClusterStore } from '../../stores/cluster-store';
import type { rollout } from '../../workflows';
import type { RolloutStatus } from '../../workflows/rollout-types';
import { CONTROL_QUEUE, rolloutWorkflowId } from '../../workflows/task-queues';

/** `kill-temporal`: kill -9 of the stack's Temporal server; `restart-postgres`: PostgreSQL's fast shutdown, then a start. */
export const FAULTS = ['kill-temporal', 'restart-postgres'] as const;
export type Fault = (typeof FAULTS)[number];

const FAULT_PROCESS = {
  'kill-temporal': { server: 'temporal', signal: 'SIGKILL' },
  'restart-postgres': { server: 'postgres', signal: 'SIGINT' },
} as const satisfies Record<Fault, { server: RestartableServer; signal: NodeJS.Signals }>;

export interface FaultRunOptions {
  client: Client;
  /** The fleet's MongoDB database, where the control worker records each cluster's last good commit. */
  db: Db;
  /** What the stack was started with: the fault's server is started again with the same. */
  stack: StackOptions;
  commit: string;
  fault: Fault;
  /** The fault lands once this many clusters run the commit healthy (past the canary, mid-fleet). */
  afterHealthy: number;
  /** How long the server stays down before it is started again. */
  downMs: number;
  /** Called right before the fault, while the server is still the one measured so far. */
  beforeFault?: () => void;
}

export interface FaultRun {
  fault: Fault;
  status: RolloutStatus;
  /** From the rollout's start to its end, seconds. */
  seconds: number;
  /** When the fault landed (seconds after the start) and how many clusters were healthy at the commit then. */
  faultAtSeconds: number;
  healthyAtFault: number;
  /** From the fault until the server answered again (its namespace, through the stack's own readiness checks). */
  downtimeSeconds: number;
  /** From the fault until one more cluster was recorded healthy at the commit; undefined if none was left to do. */
  resumedAfterSeconds?: number;
  /** The status of every run of the rollout's workflow id: `['COMPLETED']` is the one run started here, never re-triggered. */
  runs: string[];
}

/**
 * Starts the rollout of `commit`, kills or restarts one of the stack's servers once `afterHealthy` clusters run
 * it healthy, starts the server again, and waits for the same workflow run to finish: nobody triggers it again.
 * One path for `bench:fleet --fault` and the postgres engine's fault test.
 */
export async function rolloutThroughFault(o: FaultRunOptions): Promise<FaultRun> {
  const store = new ClusterStore(o.db);
  const healthy = async () => (await store.list()).filter((r) => r.lastGoodCommit === o.commit).length;
  const t0 = performance.now();
  const since = (t: number) => (performance.now() - t) / 1000;
  const handle = await o.client.workflow.start<typeof rollout>('rollout', {
    taskQueue: CONTROL_QUEUE,
    workflowId: rolloutWorkflowId(o.commit),
    args: [{ commit: o.commit }],
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
  });
  const result = handle.result();
  let finished = false;
  void result.then(() => (finished = true), () => (finished = true));

  let healthyAtFault = 0;
  while ((healthyAtFault = await healthy()) < o.afterHealthy) {
    if (finished) throw new Error(`rollout of ${o.commit} ended before ${o.afterHealthy} clusters were healthy (${healthyAtFault}): no fault landed mid-rollout`);
    await sleep(250);
  }

  o.beforeFault?.();
  const { server, signal } = FAULT_PROCESS[o.fault];
  const tFault = performance.now();
  const faultAtSeconds = (tFault - t0) / 1000;
  await restartStackServer(o.stack, server, signal, o.downMs).catch((err: Error) => {
    throw new Error(`${o.fault}: ${err.message}`);
  });
  const downtimeSeconds = since(tFault);

  let resumedAfterSeconds: number | undefined;
  while (!finished) {
    // FerretDB may still be reconnecting to PostgreSQL: an unanswered count is no progress yet.
    if ((await healthy().catch(() => 0)) > healthyAtFault) {
      resumedAfterSeconds = since(tFault);
      break;
    }
    await sleep(250);
  }
  const status = await result;
  const seconds = since(t0);
  const runs = await closedRuns(o.client, handle.workflowId);
  return { fault: o.fault, status, seconds, faultAtSeconds, healthyAtFault, downtimeSeconds, resumedAfterSeconds, runs };
}

/**
 * The status of every run of a workflow id, once visibility has them all closed: SQL visibility is written by the
 * server's own task queue after the run closes (a rollout that had returned still listed RUNNING).
 */
async function closedRuns(client: Client, workflowId: string, timeoutMs = 30_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const runs: string[] = [];
    for await (const r of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(r.status.name);
    if (!runs.includes('RUNNING') || Date.now() > deadline) return runs;
    await sleep(250);
  }
}
