import { TimeoutType, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ActivityFailure, ParentClosePolicy, TimeoutFailure, patched, proxyActivities, sleep, startChild } from '@temporalio/workflow';
import type { ClusterActivities } from '../activities/cluster/cluster-activities';
import type { ControlActivities } from '../activities/control/control-activities';
import { driftCheck, prepareAndDiffOptions } from './drift-check';
import { rootCause } from './failure-cause';
import type { DriftSweepInput, DriftSweepResult } from './reconcile-types';
import { reconcileTaskQueue } from './reconcile-task-queue';
import { CONTROL_QUEUE, clusterQueue, driftCheckWorkflowId } from './task-queues';

/** Checks at once per sweep: enough to cover 250 clusters in a few minutes without a burst on the server. */
const AT_ONCE = 10;
/** After this a check keeps going on its own (an offline Pi's never starts) and the sweep moves on. */
const WAIT_PER_CHECK_MS = 3 * 60_000;

const control = proxyActivities<ControlActivities>({
  taskQueue: CONTROL_QUEUE,
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 5 },
});

/**
 * Run by a drift Schedule for one shard of the fleet (250 clusters), a few at once. Each cluster's own queue
 * compares what runs with its last good commit; only a cluster that drifted gets a `driftCheck` (one id per
 * cluster, so one whose previous check or correction still runs is skipped as busy), which corrects it. Before
 * the 'drift-sweep-in-place' patch every cluster got a `driftCheck` child: 150 ms of server CPU a cluster, five
 * cores a pass of 10,000 at the default interval.
 */
export async function driftSweep(input: DriftSweepInput): Promise<DriftSweepResult> {
  const result: DriftSweepResult = { checked: 0, corrected: [], busy: [], pending: [], failed: [] };
  const check = patched('drift-sweep-in-place') ? await compareInPlace(input.clusters, result) : (id: string) => checkOne(id, result);
  let next = 0;
  const lane = async () => {
    while (next < input.clusters.length) await check(input.clusters[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(AT_ONCE, input.clusters.length) }, lane));
  return result;
}

/** The sweep's own comparison of each cluster; a drifted one goes on to a correcting `driftCheck`. */
async function compareInPlace(clusters: string[], result: DriftSweepResult): Promise<(id: string) => Promise<void>> {
  const targets = await control.driftTargets({ clusterIds: clusters });
  return async (clusterId) => {
    const commit = targets[clusterId]?.commit;
    if (!commit) return void result.checked++;
    const { prepareAndDiff } = proxyActivities<ClusterActivities>({
      ...prepareAndDiffOptions,
      taskQueue: clusterQueue(clusterId),
      // An offline Pi never picks the comparison up: pending, as a check that never started was.
      scheduleToStartTimeout: WAIT_PER_CHECK_MS,
    });
    try {
      if ((await prepareAndDiff({ commit })).length === 0) return void result.checked++;
    } catch (err) {
      if (neverStarted(err)) return void result.pending.push(clusterId);
      return void result.failed.push(`${clusterId}: ${rootCause(err)}`);
    }
    await checkOne(clusterId, result);
  };
}

function neverStarted(err: unknown): boolean {
  return err instanceof ActivityFailure && err.cause instanceof TimeoutFailure && err.cause.timeoutType === TimeoutType.SCHEDULE_TO_START;
}

async function checkOne(clusterId: string, result: DriftSweepResult): Promise<void> {
  let handle;
  try {
    handle = await startChild(driftCheck, {
      workflowId: driftCheckWorkflowId(clusterId),
      taskQueue: reconcileTaskQueue(clusterId),
      args: [{ clusterId }],
      // The check outlives a sweep that stops waiting for it; an hour bounds one that never starts (Pi offline).
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowExecutionTimeout: '1 hour',
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    result.busy.push(clusterId);
    return;
  }
  try {
    const done = await Promise.race([handle.result(), sleep(WAIT_PER_CHECK_MS).then(() => undefined)]);
    if (!done) return void result.pending.push(clusterId);
    result.checked++;
    if (done.corrected) result.corrected.push(`${clusterId} (${done.corrected})`);
  } catch (err) {
    result.failed.push(`${clusterId}: ${rootCause(err)}`);
  }
}
