import { patched, workflowInfo } from '@temporalio/workflow';
import { applyBatch } from './rollout-batch-apply';
import { BAD_REPORTED_MAX } from './rollout-batching';
import { reconcileOne, recheck, revertOne, type ClusterStepLog } from './rollout-cluster-steps';
import { control } from './rollout-run';
import type { RolloutBatchInput, RolloutBatchResult } from './rollout-wave-types';

/**
 * Timeline lines kept until the batch ends and written in one activity: a batch's
 * history grows by the clusters' own steps only.
 */
class BatchLog implements ClusterStepLog {
  readonly lines: Array<{ at: string; message: string }> = [];
  readonly lastLine = new Map<string, string>();
  readonly faulted = new Set<string>();

  constructor(readonly commit: string) {}

  event(message: string, clusterId?: string): Promise<void> {
    this.lines.push({ at: new Date().toISOString(), message });
    if (clusterId) this.lastLine.set(clusterId, message);
    return Promise.resolve();
  }

  blame(clusterId: string): void {
    this.faulted.add(clusterId);
  }
}

/** One step (reconcile, recheck after the soak, or revert) on a batch of a wave's clusters, all of them at once. */
export async function rolloutBatch(input: RolloutBatchInput): Promise<RolloutBatchResult> {
  const { clusters, wave, lastGood, step } = input;
  const log = new BatchLog(input.commit);
  // One activity per cluster instead of a probe and a reconcile child: a tenth of the server's work per cluster.
  if (step === 'reconcile' && patched('rollout-batch-apply')) await applyBatch(log, clusters, wave);
  else {
    await Promise.all(
      clusters.map((cp) => {
        if (step === 'reconcile') return reconcileOne(log, cp, wave);
        if (step === 'recheck') return recheck(log, cp, wave);
        return revertOne(log, cp, lastGood[cp.id]!, wave);
      }),
    );
  }
  if (log.lines.length > 0) {
    const { workflowId, runId } = workflowInfo();
    await control.recordRolloutEvents({ workflowId, runId, commit: input.commit, lines: log.lines });
  }
  const down = step === 'revert' ? clusters.filter((cp) => cp.state !== 'reverted') : clusters.filter((cp) => cp.state !== 'healthy');
  return {
    clusters,
    faulted: [...log.faulted],
    bad: down.slice(0, BAD_REPORTED_MAX).map((cp) => ({ ...cp, reason: log.lastLine.get(cp.id) ?? cp.state })),
  };
}
