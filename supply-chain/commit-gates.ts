import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../config/config-error';
import { CONFIG_PATHS } from '../config/config-files';
import { clusterConfigOf, loadFleetConfig, type FleetConfig } from '../config/fleet-config';
import { loadImagePolicy, type ImagePolicy } from '../config/image-policy';
import type { Limits } from '../config/limits';
import type { GateSummary } from '../workflows/rollout-types';
import { simpleGit } from 'simple-git';
import { verifyCommitSignature } from '../repo/commit-signature';
import { checkImages, type ImageVerdict } from './image-gate';
import { checkRuntimeGate } from './runtime-gate';
import type { RuntimePolicy } from '../config/runtime-policy';

/**
 * policies/images.yaml of the commit. A repo whose history never had one is
 * not image-gated; once any ancestor had it, a commit without it is refused,
 * so the gates cannot be switched off by deleting the policy, not even one
 * commit after a refused deletion. Its content is the commit's own: changing
 * signers or the budget is a config change like any other, vouched for by the
 * commit signature gate.
 */
async function imagePolicyAt(gitDir: string, sha: string, treeDir: string, limits: Limits): Promise<ImagePolicy | undefined> {
  const file = CONFIG_PATHS.imagePolicy;
  if (fs.existsSync(path.join(treeDir, file))) return loadImagePolicy(treeDir, limits);
  const lastTouch = (await simpleGit(gitDir).raw(['log', '-1', '--format=%H', '--end-of-options', sha, '--', file])).trim();
  if (lastTouch) {
    throw new ConfigError(file, '(file)', `deleted in ${lastTouch.slice(0, 12)}: the image gates cannot be switched off by removing their policy`);
  }
  return undefined;
}

/**
 * Every gate a commit passes before anything changes (SPEC-3 M4/M5/M9): the
 * commit's signature, the config schemas and profile/service allow-lists, and
 * the image gates. The console, the rollout (before wave 1) and each cluster
 * (before it applies anything, over its own services) run the same function.
 */
export async function checkCommitGates(args: {
  gitDir: string;
  sha: string;
  treeDir: string;
  /** Where verified image verdicts are cached between runs. */
  cacheDir: string;
  /** Set: gate only this cluster's images (the config is still validated as a whole). */
  clusterId?: string;
}): Promise<{ fleet: FleetConfig; gates: GateSummary; images: ImageVerdict[]; runtime: RuntimePolicy }> {
  const { signer } = await verifyCommitSignature(args.gitDir, args.sha);
  const fleet = loadFleetConfig(args.treeDir);
  // Containers cannot take the Pi: policies/runtime.yaml, judged before anything else is fetched.
  const runtime = checkRuntimeGate(args.treeDir, fleet);
  const policy = await imagePolicyAt(args.gitDir, args.sha, args.treeDir, fleet.limits);
  const clusters = args.clusterId ? [clusterConfigOf(fleet, args.clusterId)] : [...fleet.clusters.values()];
  const uses = clusters.flatMap((c) => c.services.map((s) => ({ service: s.name, image: s.image })));
  const images = policy ? await checkImages(policy, uses, args.cacheDir) : undefined;
  return {
    fleet,
    runtime,
    images: images ?? [],
    gates: {
      commitSigner: signer,
      images: images?.length,
      imageSigners: images ? [...new Set(images.map((i) => i.signer))].sort() : undefined,
    },
  };
}
