import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../config/config-error';
import { CONFIG_PATHS } from '../config/config-files';
import { clusterConfigOf, loadFleetConfig, type FleetConfig } from '../config/fleet-config';
import { loadImagePolicy, type ImagePolicy } from '../config/image-policy';
import type { Limits } from '../config/limits';
import type { GateSummary } from '../workflows/rollout-types';
import { loadInsecureOptOut, OPT_OUT_FILE, type InsecureGate } from '../config/insecure-opt-out';
import { refuseDeletedPolicy, verifyCommitSignature } from '../repo/commit-signature';
import { checkImages, type ImageVerdict } from './image-gate';
import { checkRuntimeGate } from './runtime-gate';

const MISSING_IMAGE_POLICY =
  'missing: images must be pinned by digest, cosign-signed and attested; add this file (registries, signers, vulnerabilityBudget), ' +
  `or the repo opts out, visibly, with insecure: {unpinnedImages: true} in ${OPT_OUT_FILE}`;

/**
 * policies/images.yaml of the commit: the image gates are on by default. A
 * commit without it is refused unless its own policies/lucid.yaml opts out,
 * and refused regardless once any ancestor had the file, so the gates cannot
 * be switched off by deleting the policy. Both are the commit's own: changing
 * the image policy, or opting out of it, is a config change like any other,
 * vouched for by the commit-signature gate (whose own opt-out is read from the
 * parent, see repo/commit-signature.ts).
 */
async function imagePolicyAt(
  gitDir: string,
  sha: string,
  treeDir: string,
  limits: Limits,
  optOut: Set<InsecureGate>,
): Promise<ImagePolicy | undefined> {
  const file = CONFIG_PATHS.imagePolicy;
  if (fs.existsSync(path.join(treeDir, file))) return loadImagePolicy(treeDir, limits);
  await refuseDeletedPolicy(gitDir, sha, file, 'the image gates');
  if (optOut.has('unpinnedImages')) return undefined;
  throw new ConfigError(file, '(file)', MISSING_IMAGE_POLICY);
}

/** The gates of checkCommitGates, in the order a commit meets them; the first refusal ends the check. */
export const COMMIT_GATES = ['signature', 'config', 'runtime', 'images'] as const;
export type CommitGate = (typeof COMMIT_GATES)[number];

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
  /** Told of each gate as it passes, with what it found: the console shows a proposal's gates one by one. */
  passed?: (gate: CommitGate, note: string) => void;
}): Promise<{ fleet: FleetConfig; gates: GateSummary; images: ImageVerdict[] }> {
  const passed = args.passed ?? (() => undefined);
  const { signer, optedOut } = await verifyCommitSignature(args.gitDir, args.sha);
  passed('signature', signer ? `signed by ${signer}` : `NOT checked: ${OPT_OUT_FILE} opts out (unsignedCommits)`);
  const fleet = loadFleetConfig(args.treeDir);
  passed('config', `${fleet.clusters.size} cluster(s): schemas, profiles and services allowed`);
  // Containers cannot take the Pi: policies/runtime.yaml, judged before anything else is fetched.
  checkRuntimeGate(args.treeDir, fleet);
  passed('runtime', 'container privileges, mounts and egress within the runtime policy');
  const optOut = loadInsecureOptOut(args.treeDir);
  const policy = await imagePolicyAt(args.gitDir, args.sha, args.treeDir, fleet.limits, optOut);
  const insecure = [...(optedOut ? ['unsignedCommits' as const] : []), ...(policy ? [] : ['unpinnedImages' as const])];
  const clusters = args.clusterId ? [clusterConfigOf(fleet, args.clusterId)] : [...fleet.clusters.values()];
  const uses = clusters.flatMap((c) => c.services.map((s) => ({ service: s.name, image: s.image })));
  const images = policy ? await checkImages(policy, uses, args.cacheDir) : undefined;
  passed('images', images ? `${images.length} image(s) pinned, signed and attested within budget` : `NOT checked: ${OPT_OUT_FILE} opts out (unpinnedImages)`);
  return {
    fleet,
    images: images ?? [],
    gates: {
      commitSigner: signer,
      images: images?.length,
      imageSigners: images ? [...new Set(images.map((i) => i.signer))].sort() : undefined,
      ...(insecure.length ? { insecure } : {}),
    },
  };
}
