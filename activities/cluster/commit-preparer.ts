import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../../config/config-error';
import { CONFIG_PATHS } from '../../config/config-files';
import type { RuntimePolicy } from '../../config/runtime-policy';
import type { ClusterEngine } from '../../compose/cluster-engine';
import { renderProject } from '../../compose/compose-render';
import { runningLabels } from '../../compose/container-state';
import { GitMirror } from '../../repo/git-mirror';
import { pruneTrees } from '../../repo/tree-pruning';
import { decryptClusterSecrets, writeSecretFiles } from '../../secrets/cluster-secrets';
import { checkCommitGates } from '../../supply-chain/commit-gates';
import { checkResolvedRuntime } from '../../supply-chain/runtime-gate';
import type { CommitInfo, PlannedService } from '../../workflows/reconcile-types';

/**
 * The Pi's own work on a commit before the engine runs it: fetch, gates,
 * secrets and render. A refused commit throws ConfigError; an unknown one,
 * UnknownCommitError.
 */
export interface CommitPreparer {
  /** Fetches the commit into the cluster's mirror and materializes its tree. */
  fetch(sha: string): Promise<CommitInfo>;
  /** Validates the commit for this cluster and renders its project to renderedFile(sha); changes nothing on the engine. */
  prepare(sha: string): Promise<PlannedService[]>;
  /** Where prepare leaves the project the engine applies. */
  renderedFile(sha: string): string;
}

/** Where decrypted secret files go unless LUCID_SECRETS_DIR says otherwise: RAM, never the SD card. */
export const DEFAULT_SECRETS_ROOT = '/dev/shm/lucid';

export interface GitPreparerContext {
  clusterId: string;
  repoUrl: string;
  /** This cluster's own state dir: mirror, per-commit trees, rendered projects. */
  stateDir: string;
  engine: ClusterEngine;
  ageIdentities?: string[];
  /** The tmpfs/ramfs directory for decrypted secret files. */
  secretsRoot: string;
}

/** The real one: the cluster's git mirror, the gates it runs itself, its secrets and the engine's render. */
export function gitCommitPreparer(ctx: GitPreparerContext): CommitPreparer {
  const mirror = new GitMirror(ctx.repoUrl, path.join(ctx.stateDir, 'repo.git'));
  const treesDir = path.join(ctx.stateDir, 'trees');
  const renderedFile = (sha: string) => path.join(ctx.stateDir, 'rendered', `${sha}.json`);

  /** Checkouts under way: a reconcile runs fetch and prepare of one commit at once, and they share one. */
  const checkingOut = new Map<string, Promise<{ info: CommitInfo; dir: string }>>();

  /** The commit in the mirror and its tree checked out: what both fetch and prepare start from. */
  function checkedOut(sha: string): Promise<{ info: CommitInfo; dir: string }> {
    const underway = checkingOut.get(sha);
    if (underway) return underway;
    const checkout = (async () => {
      const info = await mirror.fetchAndResolve(sha);
      return { info, dir: await mirror.materialize(info.sha, treesDir) };
    })().finally(() => checkingOut.delete(sha));
    checkingOut.set(sha, checkout);
    return checkout;
  }

  return {
    renderedFile,

    async fetch(sha) {
      return (await checkedOut(sha)).info;
    },

    async prepare(commit) {
      const { dir } = await checkedOut(commit);
      // The cluster runs the gates itself: it trusts the repo's history and the registry's signatures, not the console.
      const { fleet, gates, images } = await checkCommitGates({
        gitDir: mirror.mirrorDir,
        sha: commit,
        treeDir: dir,
        cacheDir: path.join(ctx.stateDir, 'image-verdicts'),
        clusterId: ctx.clusterId,
      });
      const config = fleet.clusters.get(ctx.clusterId)!;
      const runtime: RuntimePolicy = fleet.runtime;
      const verified = gates.images === undefined ? undefined : new Set(images.map((i) => i.image));
      const secrets = decryptClusterSecrets(dir, ctx.clusterId, ctx.ageIdentities ?? [], fleet.limits);
      const secretFiles = secrets ? writeSecretFiles(ctx.secretsRoot, ctx.clusterId, ctx.ageIdentities![0]!, secrets) : undefined;
      const rendered = await renderProject({
        treeDir: dir,
        config,
        commit,
        running: runningLabels(await ctx.engine.services()),
        outFile: renderedFile(commit),
        secretFiles,
        runtime,
        engine: ctx.engine,
      }).catch((err: Error) => {
        if (err instanceof ConfigError) throw err;
        throw new ConfigError(CONFIG_PATHS.compose, '(render)', `does not render: ${err.message}`);
      });
      // What Compose resolved is what runs: the runtime policy holds for it too, whatever a variable said.
      try {
        const resolved = JSON.parse(fs.readFileSync(rendered.file, 'utf8')) as { services: Record<string, Record<string, unknown>> };
        checkResolvedRuntime(runtime, resolved.services, ctx.clusterId);
      } catch (err) {
        fs.rmSync(rendered.file, { force: true });
        throw err;
      }
      // Every rendered image must be one the gates verified.
      const unverified = verified && rendered.services.find((s) => !verified.has(s.image));
      if (unverified) {
        fs.rmSync(rendered.file, { force: true });
        const why = `pinning gate: renders as '${unverified.image}', which the image gates did not verify`;
        throw new ConfigError(CONFIG_PATHS.compose, `services.${unverified.name}.image`, why);
      }
      pruneTrees(treesDir, [commit]);
      return rendered.services;
    },
  };
}
