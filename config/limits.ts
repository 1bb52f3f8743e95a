import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { DEFAULT_ROLLOUT_BATCHING } from '../common/rollout-batching';
import { LIMITS_FILE, formatBytes, parseWith, parseYaml, readRepoFile, type Limit } from './config-files';

const KIB = 1024;
const MIB = 1024 * KIB;

/**
 * The limits file is read before any limit is known, so its own size is fixed;
 * every value it sets has a ceiling, so a commit cannot lift the bounds a Pi
 * needs to stay up while it validates that commit.
 */
export const LIMITS_FILE_MAX_BYTES = 16 * KIB;
const MAX_FILE_BYTES_CEILING = 16 * MIB;
const MAX_COUNT_CEILING = 100_000;
/** A batch's history grows by about 8 events a cluster: 1,000 keeps it far below Temporal's 50,000. */
const BATCH_CLUSTERS_CEILING = 1000;
/** Each running batch runs its clusters' reconciles at once on the Temporal server this shares. */
const BATCHES_AT_ONCE_CEILING = 100;

export interface Limits {
  inventory: { maxBytes: number; maxClusters: number };
  compose: { maxBytes: number; maxServices: number };
  clusterEnv: { maxBytes: number; maxKeys: number };
  secrets: { maxBytes: number; maxSecrets: number };
  policies: { maxBytes: number; maxSigners: number };
  rollout: { batchClusters: number; batchesAtOnce: number };
}

/** Defaults: an order of magnitude above a large real fleet, far below what hurts a Pi. */
export const DEFAULT_LIMITS: Limits = deepFreeze({
  /** clusters/clusters.yaml */
  inventory: { maxBytes: 1 * MIB, maxClusters: 10_000 },
  /** compose/docker-compose.yml */
  compose: { maxBytes: 1 * MIB, maxServices: 500 },
  /** each clusters/<id>/.env */
  clusterEnv: { maxBytes: 64 * KIB, maxKeys: 500 },
  /** each secrets/<id>.enc.yaml */
  secrets: { maxBytes: 1 * MIB, maxSecrets: 500 },
  /** policies/allowlist.yaml, policies/images.yaml, policies/allowed-signers, policies/breakglass-signers; signers per list */
  policies: { maxBytes: 256 * KIB, maxSigners: 200 },
  /** A wave's clusters in rolloutBatch workflows of at most batchClusters, at most batchesAtOnce of them running. */
  rollout: { ...DEFAULT_ROLLOUT_BATCHING },
});

function deepFreeze<T extends Limits>(limits: T): T {
  for (const section of Object.values(limits)) Object.freeze(section);
  return Object.freeze(limits);
}

type Section = keyof Limits;

export function limitOf<S extends Section>(limits: Limits, section: S, key: keyof Limits[S] & string): Limit {
  return { max: limits[section][key] as number, setting: `${section}.${key}` };
}

const SIZE_UNITS: Record<string, number> = { B: 1, KiB: KIB, MiB: MIB };

const bytesSchema = z
  .union([z.number(), z.string()])
  .transform((v, ctx): number => {
    if (typeof v === 'number') return v;
    const m = /^(\d+)\s*(B|KiB|MiB)$/.exec(v);
    if (m) return Number(m[1]) * SIZE_UNITS[m[2]!]!;
    ctx.addIssue({ code: 'custom', message: "a size is a number of bytes or '<n> B|KiB|MiB'" });
    return z.NEVER;
  })
  .pipe(
    z
      .number()
      .int('must be a whole number of bytes')
      .min(1, 'must be at least 1 byte')
      .max(MAX_FILE_BYTES_CEILING, `must be at most ${formatBytes(MAX_FILE_BYTES_CEILING)}`),
  );

const countUpTo = (ceiling: number) => z.number().int('must be a whole number').min(1, 'must be at least 1').max(ceiling, `must be at most ${ceiling}`);
const countSchema = countUpTo(MAX_COUNT_CEILING);

/** Each section and key is optional: what the file leaves out keeps its default. */
const limitsSchema = z.strictObject({
  inventory: z.strictObject({ maxBytes: bytesSchema.optional(), maxClusters: countSchema.optional() }).optional(),
  compose: z.strictObject({ maxBytes: bytesSchema.optional(), maxServices: countSchema.optional() }).optional(),
  clusterEnv: z.strictObject({ maxBytes: bytesSchema.optional(), maxKeys: countSchema.optional() }).optional(),
  secrets: z.strictObject({ maxBytes: bytesSchema.optional(), maxSecrets: countSchema.optional() }).optional(),
  policies: z.strictObject({ maxBytes: bytesSchema.optional(), maxSigners: countSchema.optional() }).optional(),
  rollout: z
    .strictObject({ batchClusters: countUpTo(BATCH_CLUSTERS_CEILING).optional(), batchesAtOnce: countUpTo(BATCHES_AT_ONCE_CEILING).optional() })
    .optional(),
});

/** The limits a limits.yaml text sets, over the defaults. */
export function parseLimits(text: string): Limits {
  const doc = parseYaml(LIMITS_FILE, text);
  // An empty file, or one holding only comments, sets nothing.
  const set = parseWith(limitsSchema, LIMITS_FILE, doc ?? {});
  const out = structuredClone(DEFAULT_LIMITS);
  for (const section of Object.keys(out) as Section[]) {
    for (const [key, value] of Object.entries(set[section] ?? {})) {
      if (value !== undefined) (out[section] as Record<string, number>)[key] = value;
    }
  }
  return deepFreeze(out);
}

/** The limits of a work tree: its policies/limits.yaml over the defaults. */
export function loadLimits(treeDir: string): Limits {
  if (!fs.existsSync(path.join(treeDir, LIMITS_FILE))) return DEFAULT_LIMITS;
  return parseLimits(readRepoFile(treeDir, LIMITS_FILE, { max: LIMITS_FILE_MAX_BYTES }));
}
