import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApplicationFailure, Context, heartbeat } from '@temporalio/activity';
import { ConfigError } from '../../config/config-error';
import { fullSha } from '../../common/input-ids';
import { NON_RETRYABLE, checkedInput, configFailure } from '../config-failure';
import { heartbeatWhile } from '../heartbeat';
import { retrying } from '../../common/retrying';
import { SerialLock } from '../../common/serial-lock';
import type { CommitInfo, DriftProblem, HealthReport, PlaneProbeReport, PlannedService, ReconcileResult, ServiceStatus } from '../../workflows/reconcile-types';
import { type ApplySteps, applyWithRollback, configRejection, failureOfType, withPlaneProbe } from '../../common/apply-with-rollback';
import { rootCause } from '../../workflows/failure-cause';
import { removeOtherSecretFiles } from '../../secrets/cluster-secrets';
import type { ClusterEngine } from '../../compose/cluster-engine';
import { detectDrift } from '../../compose/drift-detect';
import { UnknownCommitError } from '../../repo/git-mirror';
import { type CommitPreparer, DEFAULT_SECRETS_ROOT, gitCommitPreparer } from './commit-preparer';

export type { CommitPreparer } from './commit-preparer';

export interface ClusterApplyInput {
  commit: string;
  /** Where an unhealthy commit goes back to; none, no rollback. */
  rollbackTo?: string;
  healthTimeoutSeconds: number;
}

/** A reconcile's outcome as the Pi saw it, timed by the Pi's clock. */
export type ClusterApplyResult = Pick<ReconcileResult, 'outcome' | 'appliedCommit' | 'rolledBackTo' | 'failure' | 'rejection' | 'services'> & {
  startedAt: string;
  endedAt: string;
};

export interface ClusterWorkerContext {
  clusterId: string;
  repoUrl: string;
  /** This cluster's own state dir: mirror, per-commit trees, rendered projects. */
  stateDir: string;
  /** What runs the containers: Compose on the cluster's Docker socket (compose-engine.ts) outside simulations. */
  engine: ClusterEngine;
  /** This cluster's age identities (AGE-SECRET-KEY-1…): only its own worker holds them. */
  ageIdentities?: string[];
  /** A tmpfs/ramfs directory for decrypted secret files. */
  secretsDir?: string;
  /** Fetch, gates, secrets and render: this cluster's git mirror (gitCommitPreparer) outside simulations. */
  preparer?: CommitPreparer;
}

/**
 * Everything a cluster's own worker does on its Pi. The closure holds the
 * cluster's engine and repo access; nothing here touches MongoDB.
 */
export function createClusterActivities(ctx: ClusterWorkerContext) {
  const secretsRoot = ctx.secretsDir ?? DEFAULT_SECRETS_ROOT;
  const preparer = ctx.preparer ?? gitCommitPreparer({ ...ctx, secretsRoot });
  const { renderedFile } = preparer;
  // One change at a time on this cluster: a rollout's applyCommit and an operator's reconcile never interleave their `up`s.
  const changes = new SerialLock();
  const oneChangeAtATime = <T>(work: () => Promise<T>) => heartbeatWhile(() => changes.run(work));
  const refuse = (err: ConfigError, commit: string) => configFailure(err, `cluster ${ctx.clusterId}, commit ${commit}`);
  const commitOf = (input: { commit: string }) => checkedInput(`cluster ${ctx.clusterId}`, () => fullSha('commit', input.commit));
  const prepare = (commit: string) =>
    preparer.prepare(commit).catch((err: unknown) => {
      throw err instanceof ConfigError ? refuse(err, commit) : err;
    });

  /** A commit the repo does not have fails for good: retrying cannot make it appear. */
  async function knownCommit<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof UnknownCommitError) {
        throw ApplicationFailure.nonRetryable(`cluster ${ctx.clusterId}: ${err.message}`, NON_RETRYABLE.unknownCommit);
      }
      throw err;
    }
  }

  /** `up` of a prepared commit; callers hold the change lock. */
  async function up(commit: string): Promise<void> {
    const file = renderedFile(commit);
    if (!fs.existsSync(file)) {
      throw ApplicationFailure.nonRetryable(`cluster ${ctx.clusterId}: commit ${commit} was not prepared`);
    }
    await ctx.engine.up(file, { commit, onTick: () => heartbeat(), signal: Context.current().cancellationSignal }).catch((err: Error) => {
      throw new Error(`cluster ${ctx.clusterId}, commit ${commit}: ${err.message}`);
    });
    // Secrets of commits no longer applied leave RAM; the applied set stays for container restarts.
    const applied = JSON.parse(fs.readFileSync(file, 'utf8')) as { secrets?: Record<string, { file: string }> };
    const inUse = Object.values(applied.secrets ?? {})[0]?.file;
    removeOtherSecretFiles(secretsRoot, ctx.clusterId, inUse ? path.dirname(inUse) : undefined);
  }

  const activities = {
    async fetchCommit(input: { commit: string }): Promise<CommitInfo> {
      const commit = commitOf(input);
      return heartbeatWhile(() => knownCommit(() => preparer.fetch(commit)));
    },

    /** Fetches the commit itself when it is not here yet: a reconcile starts it beside fetchCommit. */
    async prepareCommit(input: { commit: string }): Promise<PlannedService[]> {
      const commit = commitOf(input);
      return heartbeatWhile(() => knownCommit(() => prepare(commit)));
    },

    async composeUp(input: { commit: string }): Promise<void> {
      const commit = commitOf(input);
      return oneChangeAtATime(() => up(commit));
    },

    async waitHealthy(input: { services: PlannedService[]; timeoutSeconds: number }): Promise<HealthReport> {
      return ctx.engine.waitHealthy(input.services, input.timeoutSeconds * 1000, (statuses) =>
        heartbeat(statuses.map((s) => `${s.name}:${s.state}/${s.health}`).join(' ')),
      );
    },

    /**
     * From each service's own network namespace, its plane answers and no other plane does. After a healthy `up`;
     * `early`: beside the health wait, one try (a port not answering yet is for the probe after health).
     */
    async probePlanes(input?: { early?: boolean }): Promise<PlaneProbeReport> {
      return heartbeatWhile(() => ctx.engine.probePlanes({ waitOutMisses: !input?.early }));
    },

    /**
     * Prepares the commit as a reconcile would (gates, secrets onto tmpfs, a
     * label-stable render, so an untouched service matches) and diffs it
     * against what runs. Not read-only, hence the name.
     */
    async prepareAndDiff(input: { commit: string }): Promise<DriftProblem[]> {
      const commit = commitOf(input);
      return heartbeatWhile(async () => {
        const planned = await prepare(commit);
        return detectDrift(planned, await ctx.engine.services());
      });
    },

    async observeServices(): Promise<ServiceStatus[]> {
      return (await ctx.engine.services()).sort((a, b) => a.name.localeCompare(b.name));
    },
  };

  /**
   * A whole reconcile on the Pi in one activity: fetch, gates, up, health,
   * plane probe, and the rollback to `rollbackTo` when the commit comes up
   * unhealthy. What a rollout batch runs per cluster, so a fleet costs one
   * activity task per cluster instead of a workflow and eight activities;
   * the rules are reconcileCluster's (applyWithRollback). A commit that is
   * unknown or refused is an outcome, not an error; anything else (a git
   * remote down) fails the attempt, and the retry starts over idempotently.
   */
  async function applyCommit(input: ClusterApplyInput): Promise<ClusterApplyResult> {
    const commit = commitOf(input);
    const startedAt = new Date().toISOString();
    const ended = (r: Omit<ClusterApplyResult, 'startedAt' | 'endedAt'>): ClusterApplyResult => ({ ...r, startedAt, endedAt: new Date().toISOString() });
    try {
      await retrying(5, 1000, () => activities.fetchCommit({ commit }));
    } catch (err) {
      if (!failureOfType(err, NON_RETRYABLE.unknownCommit)) throw err;
      return ended({ outcome: 'invalid', failure: { reason: `fetch failed: ${rootCause(err)}`, stage: 'fetch' }, services: [] });
    }
    let plan: PlannedService[];
    try {
      plan = await retrying(5, 1000, () => activities.prepareCommit({ commit }));
    } catch (err) {
      const rejection = configRejection(err);
      if (rejection) return ended({ outcome: 'invalid', rejection, services: [] });
      return ended({ outcome: 'failed', failure: { reason: `prepare failed: ${rootCause(err)}`, stage: 'prepare' }, services: [] });
    }
    // Each step is tried as often as reconcileCluster's activity for it would be: a passing Docker error is not a verdict.
    const steps: ApplySteps = {
      prepare: (sha) => retrying(5, 1000, () => activities.prepareCommit({ commit: sha })),
      up: (sha) => retrying(3, 2000, () => up(sha)),
      waitHealthy: (services) => retrying(3, 1000, () => activities.waitHealthy({ services, timeoutSeconds: input.healthTimeoutSeconds })),
      probeEarly: () => activities.probePlanes({ early: true }),
      verify: (health, early) => withPlaneProbe(health, () => retrying(3, 2000, () => activities.probePlanes()), early),
    };
    return ended(await oneChangeAtATime(() => applyWithRollback(steps, commit, plan, input.rollbackTo)));
  }

  return { ...activities, applyCommit };
}

export type ClusterActivities = ReturnType<typeof createClusterActivities>;
