import * as path from 'node:path';
import { ApplicationFailure, heartbeat } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { ConfigError } from '../../config/config-error';
import { clusterId, fullSha } from '../../common/input-ids';
import { NON_RETRYABLE, checkedInput, configFailure } from '../config-failure';
import type { ClusterRecord, DriftResult, DriftTarget, ReconcileResult } from '../../workflows/reconcile-types';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import type { BatchReconcileStart } from '../../workflows/rollout-wave-types';
import { reconcileWorkflowId, sessionWorkflowId } from '../../workflows/task-queues';
import type { RolloutPlan, RolloutStatus } from '../../workflows/rollout-types';
import { verifyBreakglassAt } from '../../repo/breakglass-signature';
import { GitMirror, UnknownCommitError } from '../../repo/git-mirror';
import { pruneTrees } from '../../repo/tree-pruning';
import { checkCommitGates } from '../../supply-chain/commit-gates';
import type { ClusterStore } from '../../stores/cluster-store';
import { createAnchorControlActivities, type AnchorControlDeps } from './anchor-activities';
import { createPayoutControlActivities } from './payout-activities';
import { createProposalControlActivities } from './proposal-activities';
import type { ProposalStore } from '../../stores/proposal-store';
import type { PayoutStore } from '../../stores/payout-store';
import { startRollout } from '../../triggers/rollout-trigger';
import { syncDriftSweeps } from '../../triggers/schedules';
import type { RolloutStore } from '../../stores/rollout-store';
import type { ReplicationStore, ReplicationState } from '../../stores/replication-store';
import type { SessionStore } from '../../stores/session-store';
import type { CopyCheckDue, CopyCheckReport, ReplicaListing } from '../../workflows/replication-types';
import type { SessionManifest } from '../../workflows/session-types';
import { supersedeSignal } from '../../workflows/rollout-messages';

export interface ControlDeps {
  clusters: ClusterStore;
  rollouts: RolloutStore;
  sessions: SessionStore;
  /** The console's view of the config repo; rollouts cannot be planned without it. */
  repo?: { url: string; dataDir: string };
  client: Client;
  /** Anchoring's MongoDB side and the chain it indexes (read only). */
  anchoring: Omit<AnchorControlDeps, 'sessions' | 'client'>;
  payouts: PayoutStore;
  replication: ReplicationStore;
  proposals: ProposalStore;
  /** The SSH key file proposal commits are signed with (LUCID_CONSOLE_SIGNING_KEY); absent: unsigned. */
  proposalSigningKey?: string;
}

/** Activities of the `lucid-control` queue: only the console host holds MongoDB credentials. */
export function createControlActivities(deps: ControlDeps) {
  const { clusters: store, rollouts } = deps;
  const controlDir = () => {
    if (!deps.repo) throw ApplicationFailure.nonRetryable('the control worker has no config repo (LUCID_CONFIG_REPO)');
    return path.join(deps.repo.dataDir, 'control');
  };
  const controlMirror = () => {
    const dir = controlDir();
    return new GitMirror(deps.repo!.url, path.join(dir, 'repo.git'));
  };
  return {
    ...createAnchorControlActivities({ ...deps.anchoring, sessions: deps.sessions, client: deps.client }),
    ...createPayoutControlActivities({
      payouts: deps.payouts,
      sessions: deps.sessions,
      client: deps.client,
      headTree: async () => {
        const mirror = controlMirror();
        const head = await mirror.fetchAndResolve();
        const treesDir = path.join(controlDir(), 'payout-trees');
        const tree = await mirror.materialize(head.sha, treesDir);
        pruneTrees(treesDir, [head.sha]);
        return tree;
      },
    }),
    ...createProposalControlActivities({
      proposals: deps.proposals,
      mirror: controlMirror,
      dir: controlDir,
      signingKey: deps.proposalSigningKey,
      client: deps.client,
    }),
    async loadClusterRecord(input: { clusterId: string }): Promise<ClusterRecord> {
      return store.get(input.clusterId);
    },

    async recordDesired(input: { clusterId: string; commit: string }): Promise<void> {
      await store.setDesired(input.clusterId, input.commit);
    },

    async recordReconcile(input: {
      result: ReconcileResult;
      workflowId: string;
      runId: string;
      startedAt: string;
    }): Promise<void> {
      await store.recordOutcome({
        ...input.result,
        _id: `${input.workflowId}/${input.runId}`,
        workflowId: input.workflowId,
        runId: input.runId,
        startedAt: new Date(input.startedAt),
        endedAt: new Date(),
      });
    },

    /**
     * Before a rollout batch applies a commit: the commit becomes every cluster's
     * desired one (so drift checks stand back, and a bad outcome marks it bad),
     * and the batch learns each cluster's last good commit, and which clusters
     * already run a reconcile of this commit (an operator's) to follow instead.
     */
    async beginBatchReconcile(input: { commit: string; clusterIds: string[] }): Promise<BatchReconcileStart> {
      const commit = checkedInput('beginBatchReconcile', () => fullSha('commit', input.commit));
      const records = await store.getMany(input.clusterIds);
      await store.setDesiredMany(input.clusterIds, commit);
      const byWorkflowId = new Map(input.clusterIds.map((id) => [reconcileWorkflowId(id, commit), id]));
      const running: Record<string, string> = {};
      const reconciles = deps.client.workflow.list({
        query: `WorkflowType = 'reconcileCluster' AND ExecutionStatus = 'Running' AND LucidCommit = '${commit}'`,
      });
      for await (const wf of reconciles) {
        const id = byWorkflowId.get(wf.workflowId);
        if (id) running[id] = wf.workflowId;
      }
      const clusters: BatchReconcileStart['clusters'] = {};
      for (const [id, r] of records) clusters[id] = { lastGood: r.lastGoodCommit, desired: r.desiredCommit };
      return { clusters, running };
    },

    /**
     * A rollout batch's outcomes, one reconcile record per cluster that ran the
     * commit (keyed by batch run and cluster, so a retry writes each once); the
     * clusters it has no outcome for (unreachable, or failed before reporting)
     * get their previous desired commit back.
     */
    async recordBatchReconciles(input: {
      workflowId: string;
      runId: string;
      commit: string;
      results: Array<ReconcileResult & { startedAt: string; endedAt: string }>;
      unreached: Array<{ clusterId: string; desired?: string }>;
    }): Promise<void> {
      for (const r of input.results) {
        await store.recordOutcome({
          ...r,
          _id: `${input.workflowId}/${input.runId}/${r.clusterId}`,
          workflowId: input.workflowId,
          runId: input.runId,
          startedAt: new Date(r.startedAt),
          endedAt: new Date(r.endedAt),
        });
      }
      for (const u of input.unreached) await store.restoreDesired(u.clusterId, input.commit, u.desired);
    },

    /** Validates the whole fleet config at the commit and orders its clusters into waves. */
    async planRollout(input: { commit: string }): Promise<RolloutPlan> {
      const sha = checkedInput('planRollout', () => fullSha('commit', input.commit));
      const mirror = controlMirror();
      try {
        const commit = await mirror.fetchAndResolve(sha);
        const treesDir = path.join(controlDir(), 'trees');
        const tree = await mirror.materialize(commit.sha, treesDir);
        pruneTrees(treesDir, [commit.sha]);
        const { fleet, gates } = await checkCommitGates({
          gitDir: mirror.mirrorDir,
          sha: commit.sha,
          treeDir: tree,
          cacheDir: path.join(controlDir(), 'image-verdicts'),
        });
        const { inventory } = fleet;
        const waves = inventory.waves
          .map((w) => ({ ...w, clusters: inventory.clusters.filter((c) => c.wave === w.name).map((c) => c.id) }))
          .filter((w) => w.clusters.length > 0);
        const records = await store.getMany(inventory.clusters.map((c) => c.id));
        const lastGood: Record<string, string | undefined> = {};
        for (const c of inventory.clusters) lastGood[c.id] = records.get(c.id)!.lastGoodCommit;
        return { commit, gates, waves, lastGood, driftCheckSeconds: inventory.driftCheckSeconds, batching: fleet.limits.rollout };
      } catch (err) {
        if (err instanceof ConfigError) throw configFailure(err);
        if (err instanceof UnknownCommitError) throw ApplicationFailure.nonRetryable(err.message, NON_RETRYABLE.unknownCommit);
        throw err;
      }
    },

    /** The break-glass signature, checked where the rollout runs too, not only by the CLI that started it. */
    async verifyBreakglass(input: { commit: string; expiresAt: string; signature: string }): Promise<string> {
      const commit = checkedInput('verifyBreakglass', () => fullSha('commit', input.commit));
      const mirror = controlMirror();
      await mirror.fetchAndResolve(commit);
      try {
        return await verifyBreakglassAt(mirror.mirrorDir, commit, input.expiresAt, input.signature);
      } catch (err) {
        if (err instanceof ConfigError) throw configFailure(err);
        throw err;
      }
    },

    async saveSessionManifest(input: { manifest: SessionManifest }): Promise<void> {
      await deps.sessions.save(input.manifest);
    },

    async recordReplicationProgress(input: Omit<ReplicationState, 'at'>): Promise<void> {
      await deps.replication.record(input);
    },

    async sessionsDueForCopyCheck(input: { maxChunks: number }): Promise<CopyCheckDue[]> {
      return deps.sessions.dueForCopyCheck(input.maxChunks);
    },

    /** Each repair (or chunk with no good copy left) of a check becomes an incident of the session; the check is dated. */
    async recordCopyCheck(input: { check: string; nodeId: string; report: CopyCheckReport }): Promise<void> {
      const { sessionId, repairs } = input.report;
      for (const r of repairs) {
        const { index: chunkIndex, leaf, kind, reason } = r;
        await deps.sessions.recordCheckIncident({ check: input.check, sessionId, nodeId: input.nodeId, chunkIndex, leaf, kind, reason });
      }
      await deps.sessions.markCopiesChecked(sessionId);
    },

    /** Whether session-<id> still runs; one that closed, however, or never existed, does not. */
    async sessionRunning(input: { sessionId: string }): Promise<boolean> {
      try {
        const { status } = await deps.client.workflow.getHandle(sessionWorkflowId(input.sessionId)).describe();
        return status.name === 'RUNNING';
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return false;
        throw err;
      }
    },

    async recordSessionReplica(input: { sessionId: string; replica: ReplicaListing }): Promise<void> {
      await deps.sessions.recordReplica(input.sessionId, { ...input.replica, at: new Date().toISOString() });
    },

    async recordRolloutEvent(input: { workflowId: string; runId?: string; commit: string; seq: number; message: string }): Promise<void> {
      await rollouts.addEvent(input.workflowId, input.runId, input.commit, input.seq, input.message);
    },

    /** A rollout batch's timeline lines, written once at its end instead of an activity per line. */
    async recordRolloutEvents(input: {
      workflowId: string;
      runId: string;
      commit: string;
      lines: Array<{ at: string; message: string }>;
    }): Promise<void> {
      await rollouts.addEvents(input.workflowId, input.runId, input.commit, input.lines);
    },

    async recordRollout(input: { status: RolloutStatus }): Promise<void> {
      await rollouts.save(input.status);
    },

    async markCommitBad(input: { commit: string; reason: string; previousLastGood?: Record<string, string | undefined> }): Promise<void> {
      await rollouts.markBad(input.commit, input.reason);
      if (input.previousLastGood) await store.restoreLastGood(input.commit, input.previousLastGood);
    },

    /** A halted wave's clusters went back: their last good is what it was before, whether or not the commit is bad. */
    async restoreLastGood(input: { commit: string; previousLastGood: Record<string, string | undefined> }): Promise<void> {
      await store.restoreLastGood(input.commit, input.previousLastGood);
    },

    /** Only an operator's `rollout retry` calls this; who and why are in the rollout's input, so in its history. */
    async clearCommitBad(input: { commit: string; by: string; reason?: string }): Promise<void> {
      await rollouts.clearBad(input.commit);
    },

    /** Retried until the commit is fetchable or the workflow's wait runs out. */
    async awaitCommit(input: { commit: string }): Promise<void> {
      const commit = checkedInput('awaitCommit', () => fullSha('commit', input.commit));
      try {
        await controlMirror().fetchAndResolve(commit);
      } catch (err) {
        if (err instanceof UnknownCommitError) throw ApplicationFailure.retryable(err.message, 'CommitNotFetchableYet');
        throw err;
      }
    },

    /** Follows a reconcile someone else started, heartbeating so a dead control worker hands it on. */
    async awaitReconcile(input: { workflowId: string }): Promise<ReconcileResult> {
      const result: Promise<ReconcileResult> = deps.client.workflow.getHandle(input.workflowId).result();
      const beat = setInterval(() => heartbeat(input.workflowId), 5000);
      try {
        return await result;
      } finally {
        clearInterval(beat);
      }
    },

    /**
     * What a cluster's drift check holds it on: its last good commit, unless a
     * change is under way (desired differs and is not known bad), which drift
     * correction must not fight.
     */
    async driftTarget(input: { clusterId: string }): Promise<DriftTarget> {
      // The id goes into a visibility query below.
      const id = checkedInput('driftTarget', () => clusterId('clusterId', input.clusterId));
      const reconciling = async () => {
        const busy = deps.client.workflow.list({
          query: `WorkflowType = 'reconcileCluster' AND ExecutionStatus = 'Running' AND LucidCluster = '${id}'`,
        });
        for await (const wf of busy) return wf.workflowId;
        return undefined;
      };
      return driftTargetOf(await store.get(id), (c) => rollouts.isBad(c), reconciling);
    },

    /** driftTarget for a sweep's clusters at once: one read of their records, one query of the running reconciles. */
    async driftTargets(input: { clusterIds: string[] }): Promise<Record<string, DriftTarget>> {
      const ids = checkedInput('driftTargets', () => input.clusterIds.map((id, i) => clusterId(`clusterIds[${i}]`, id)));
      const records = await store.getMany(ids);
      const reconciling = new Map<string, string>();
      const running = deps.client.workflow.list({ query: `WorkflowType = 'reconcileCluster' AND ExecutionStatus = 'Running'` });
      for await (const wf of running) {
        for (const c of wf.typedSearchAttributes.get(SEARCH_ATTRIBUTES.cluster) ?? []) reconciling.set(c, wf.workflowId);
      }
      const bad = new Map<string, Promise<boolean>>();
      const isBad = (commit: string) => bad.get(commit) ?? bad.set(commit, rollouts.isBad(commit)).get(commit)!;
      const out: Record<string, DriftTarget> = {};
      for (const [id, r] of records) out[id] = await driftTargetOf(r, isBad, async () => reconciling.get(id));
      return out;
    },

    async recordDrift(input: { result: DriftResult }): Promise<void> {
      await store.recordDrift(input.result);
    },

    /** The drift sweeps of the inventory: one Schedule per shard of it; those of clusters that left it are gone. */
    async syncDriftSchedules(input: { clusters: string[]; everySeconds: number }): Promise<void> {
      await syncDriftSweeps(deps.client, input.clusters, input.everySeconds);
    },

    /** Holds a rollout until the ones it superseded have stopped, so two rollouts never touch one cluster at once. */
    async awaitRolloutsClosed(input: { workflowIds: string[] }): Promise<void> {
      for (const id of input.workflowIds) {
        for (;;) {
          const { status } = await deps.client.workflow.getHandle(id).describe();
          if (status.name !== 'RUNNING') break;
          heartbeat(id);
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
    },

    /** The poll trigger: rolls out the branch head unless it was rolled out (or refused) before. */
    async rolloutBranchHead(): Promise<{ head: string; workflowId: string; started: boolean }> {
      const head = await controlMirror().fetchAndResolve();
      if (await rollouts.isBad(head.sha)) return { head: head.sha, workflowId: '', started: false };
      return { head: head.sha, ...(await startRollout(deps.client, head.sha, { source: 'poll' })) };
    },

    /**
     * Asks every running rollout that started before this one to stop before its
     * next wave: the newest trigger wins, and two near-simultaneous rollouts
     * never abort each other.
     */
    async supersedeRollouts(input: { commit: string; workflowId: string; startedAt?: string }): Promise<string[]> {
      const superseded: string[] = [];
      const own = input.startedAt ? Date.parse(input.startedAt) : Infinity;
      for await (const wf of deps.client.workflow.list({ query: `WorkflowType = 'rollout' AND ExecutionStatus = 'Running'` })) {
        if (wf.workflowId === input.workflowId || wf.startTime.getTime() >= own) continue;
        await deps.client.workflow.getHandle(wf.workflowId).signal(supersedeSignal, { commit: input.commit });
        superseded.push(wf.workflowId);
      }
      return superseded;
    },
  };
}

export type ControlActivities = ReturnType<typeof createControlActivities>;

/** What a drift check holds a cluster on: its last good commit, unless that went bad or a change owns the cluster now. */
async function driftTargetOf(
  r: ClusterRecord,
  isBad: (commit: string) => Promise<boolean>,
  reconciling: () => Promise<string | undefined>,
): Promise<DriftTarget> {
  if (!r.lastGoodCommit) return { skipped: 'no healthy commit applied yet' };
  if (await isBad(r.lastGoodCommit)) return { skipped: `last good ${r.lastGoodCommit.slice(0, 12)} was since marked bad` };
  const desired = r.desiredCommit;
  if (desired && desired !== r.lastGoodCommit && !r.badCommits.includes(desired) && !(await isBad(desired))) {
    return { skipped: `a change to ${desired.slice(0, 12)} is under way` };
  }
  // A reconcile in flight (a rollout's, an operator's, a previous correction's) owns the cluster now.
  const busy = await reconciling();
  if (busy) return { skipped: `${busy} is running` };
  return { commit: r.lastGoodCommit };
}
