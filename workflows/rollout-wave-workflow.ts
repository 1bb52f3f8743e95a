import { condition, executeChild, getExternalWorkflowHandle, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import { rootCause } from './failure-cause';
import { rolloutBatch } from './rollout-batch';
import { BAD_REPORTED_MAX, STATUS_CLUSTERS_MAX, batchesOf, countStates, pick } from './rollout-batching';
import { failureBudget } from './rollout-budget';
import { stopWaveSignal, waveStateSignal } from './rollout-messages';
import { RolloutLog } from './rollout-run';
import type { ClusterProgress } from './rollout-types';
import type { BadCluster, BatchStep, RolloutBatchResult, RolloutWaveInput, RolloutWaveResult } from './rollout-wave-types';
import { rolloutBatchWorkflowId } from './task-queues';

/**
 * One wave of a rollout: its clusters in rolloutBatch children, at most batchesAtOnce running; then the
 * failure budget over the whole wave, the soak and its recheck, and on a halt the wave's revert (in batches
 * too). Its history grows with the number of batches, which batchesOf caps, never with the clusters.
 */
export async function rolloutWave(input: RolloutWaveInput): Promise<RolloutWaveResult> {
  const { commit, wave, lastGood, batching } = input;
  let stopped = false;
  setHandler(stopWaveSignal, () => void (stopped = true));
  /** A stop held back some batches: the wave ran in part. A stop after the last batch started changes nothing. */
  let heldBack = false;
  // What a batch needs of the plan; not the wave's cluster list, which would travel to every batch.
  const timeouts = { name: wave.name, pickupTimeoutSeconds: wave.pickupTimeoutSeconds, reconcileTimeoutSeconds: wave.reconcileTimeoutSeconds };
  const log = new RolloutLog(commit);
  const clusters: ClusterProgress[] = wave.clusters.map((id) => ({ id, state: 'pending', commit: lastGood[id] ?? null, healthy: false }));
  const byId = new Map(clusters.map((cp) => [cp.id, cp]));
  const faulted = new Set<string>();
  const reasons = new Map<string, string>();

  const merge = (r: RolloutBatchResult) => {
    for (const c of r.clusters) Object.assign(byId.get(c.id)!, c);
    for (const id of r.faulted) faulted.add(id);
    for (const b of r.bad) reasons.set(b.id, b.reason);
  };
  /** Runs a step over `of` in batches; a stop holds back the batches not yet started when `stoppable`. */
  const runStep = async (step: BatchStep, of: ClusterProgress[], stoppable: boolean) => {
    let running = 0;
    const done: Array<Promise<void>> = [];
    for (const [n, batch] of batchesOf(of, batching.batchClusters).entries()) {
      await condition(() => running < batching.batchesAtOnce || (stoppable && stopped));
      if (stoppable && stopped) {
        heldBack = true;
        break;
      }
      running++;
      const workflowId = rolloutBatchWorkflowId(workflowInfo().workflowId, step, n);
      const batchInput = { commit, step, wave: timeouts, clusters: batch, lastGood: pick(lastGood, batch.map((cp) => cp.id)) };
      done.push(
        executeChild(rolloutBatch, { workflowId, args: [batchInput] })
          .then(merge, (err: unknown) => {
            // A batch that could not run leaves its clusters failed, as an inline reconcile that crashed did.
            for (const cp of batch) Object.assign(byId.get(cp.id)!, { state: 'failed', healthy: false });
            for (const cp of batch) reasons.set(cp.id, `${cp.id}: ${workflowId} failed: ${rootCause(err)}`);
          })
          .finally(() => void running--),
      );
    }
    await Promise.all(done);
  };
  const down = () => clusters.filter((cp) => cp.state !== 'healthy' && cp.state !== 'pending');

  await runStep('reconcile', clusters, true);
  const budget = failureBudget(wave.maxUnavailable, wave.clusters.length);
  let bad = down();
  if (!heldBack && bad.length <= budget && wave.soakSeconds > 0) {
    await getExternalWorkflowHandle(input.rolloutWorkflowId).signal(waveStateSignal, { wave: wave.name, state: 'soaking' });
    await sleep(`${wave.soakSeconds} seconds`, { summary: `soak of wave ${wave.name}` });
    await runStep('recheck', clusters.filter((cp) => cp.state === 'healthy'), false);
    bad = down();
  }
  // As judged, before a revert changes their states.
  const report: BadCluster[] = bad.slice(0, BAD_REPORTED_MAX).map((cp) => ({ ...cp, reason: reasons.get(cp.id) ?? cp.state }));
  const result = (state: RolloutWaveResult['state']): RolloutWaveResult => ({
    state,
    budget,
    down: bad.length,
    bad: report,
    atFault: bad.some((cp) => faulted.has(cp.id)),
    counts: countStates(clusters),
    ...(clusters.length <= STATUS_CLUSTERS_MAX ? { clusters } : {}),
  });
  if (bad.length > budget) {
    await log.event(`wave ${wave.name}: halted; rolling the wave back`);
    // Every cluster of the wave that runs the commit goes back, healthy or not.
    await runStep('revert', clusters.filter((cp) => cp.commit === commit && lastGood[cp.id] && lastGood[cp.id] !== commit), false);
    return result('halted');
  }
  if (heldBack) {
    await log.event(`wave ${wave.name}: stopped; ${clusters.filter((cp) => cp.state === 'pending').length} cluster(s) not started`);
    return result('stopped');
  }
  await log.event(`wave ${wave.name}: healthy (${bad.length} of ${wave.clusters.length} down, budget ${budget})`);
  return result('healthy');
}
