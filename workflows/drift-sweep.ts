import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy, sleep, startChild } from '@temporalio/workflow';
import { driftCheck } from './drift-check';
import { rootCause } from './failure-cause';
import type { DriftSweepInput, DriftSweepResult } from './reconcile-types';
import { reconcileTaskQueue } from './reconcile-task-queue';
import { driftCheckWorkflowId } from './task-queues';

/** Checks at once per sweep: enough to cover 250 clusters in a few minutes without a burst on the server. */
const AT_ONCE = 10;
/** After this a check keeps going on its own (an offline Pi's never starts) and the sweep moves on. */
const WAIT_PER_CHECK_MS = 3 * 60_000;

/**
 * Run by a drift Schedule for one shard of the fleet: starts each cluster's drift check, a few at once. A check
 * has one id per cluster, so a cluster whose previous check (or its correction) is still running is skipped, not
 * checked twice.
 */
export async function driftSweep(input: DriftSweepInput): Promise<DriftSweepResult> {
  const result: DriftSweepResult = { checked: 0, corrected: [], busy: [], pending: [], failed: [] };
  let next = 0;
  const lane = async () => {
    while (next < input.clusters.length) await checkOne(input.clusters[next++]!, result);
  };
  await Promise.all(Array.from({ length: Math.min(AT_ONCE, input.clusters.length) }, lane));
  return result;
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
