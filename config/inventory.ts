import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { ConfigError } from './config-error';
import { CONFIG_PATHS, checkCount, itemsUnder, parseWith, parseYaml, readRepoFile } from './config-files';
import { DEFAULT_LIMITS, limitOf, type Limits } from './limits';
import { parseCronWindow } from '../common/change-window';
import { CLUSTER_ID_PATTERN, CLUSTER_ID_RULE } from '../common/input-ids';
import { DEFAULT_WAVES, GROUPS, PROFILES } from './fleet-taxonomy';

export const clusterIdSchema = z.string().regex(CLUSTER_ID_PATTERN, CLUSTER_ID_RULE);

const waveNameSchema = z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, 'must be a lowercase wave name');

const cronWindowSchema = z.string().superRefine((expr, ctx) => {
  try {
    parseCronWindow(expr);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

/** Gates of one wave. A bare name takes every default: no budget, no soak, no approval, always open. */
const waveGatesSchema = z.strictObject({
  name: waveNameSchema,
  /** Clusters of the wave that may fail or be unreachable before it halts: a count or a percentage. */
  maxUnavailable: z.union([z.number().int().min(0), z.string().regex(/^(100|[1-9]?\d)%$/, 'must be N or N%')]).default(0),
  soakSeconds: z.number().int().min(0).default(0),
  approval: z.boolean().default(false),
  /** Cron-style change windows (UTC); the wave waits for the next one. Empty: always open. */
  windows: z.array(cronWindowSchema).default([]),
  /** How long a cluster's worker may take to pick up work before the cluster counts as unreachable. */
  pickupTimeoutSeconds: z.number().int().min(1).default(60),
  /**
   * How long one cluster's reconcile (health waits and rollback included) may take before the cluster
   * counts as unreachable: a Pi that goes offline in the middle of a change must not hold the rollout.
   */
  reconcileTimeoutSeconds: z.number().int().min(10).default(1800),
});

const waveSchema = z.union([waveNameSchema.transform((name) => waveGatesSchema.parse({ name })), waveGatesSchema]);
export type Wave = z.infer<typeof waveGatesSchema>;

const clusterSchema = z.strictObject({
  id: clusterIdSchema,
  group: z.enum(GROUPS, { error: (i) => `unknown group '${String(i.input)}' (known: ${GROUPS.join(', ')})` }),
  profiles: z
    .array(z.enum(PROFILES, { error: (i) => `unknown profile '${String(i.input)}' (known: ${PROFILES.join(', ')})` }))
    .min(1, 'a cluster needs at least one profile')
    .refine((ps) => new Set(ps).size === ps.length, 'lists a profile twice'),
  wave: waveNameSchema.default('core'),
  labels: z.record(z.string(), z.string()).default({}),
  env: z.string().regex(/^clusters\/[^/]+\/\.env$/, "must be a path of the form 'clusters/<id>/.env'"),
});

const inventorySchema = z.strictObject({
  waves: z
    .array(waveSchema)
    .min(1)
    .default(DEFAULT_WAVES.map((name) => waveGatesSchema.parse({ name })))
    .refine((ws) => new Set(ws.map((w) => w.name)).size === ws.length, 'lists a wave twice'),
  /** How often each cluster's drift check runs. */
  driftCheckSeconds: z.number().int().min(1).default(300),
  clusters: z.array(clusterSchema).min(1, 'the inventory lists no cluster'),
});

export type ClusterSpec = z.infer<typeof clusterSchema>;
export type Inventory = z.infer<typeof inventorySchema>;

export function loadInventory(treeDir: string, limits: Limits = DEFAULT_LIMITS): Inventory {
  const file = CONFIG_PATHS.inventory;
  const doc = parseYaml(file, readRepoFile(treeDir, file, limitOf(limits, 'inventory', 'maxBytes')));
  checkCount(file, 'clusters', itemsUnder(doc, 'clusters'), limitOf(limits, 'inventory', 'maxClusters'), 'clusters');
  const inv = parseWith(inventorySchema, file, doc);
  const seen = new Map<string, number>();
  inv.clusters.forEach((c, i) => {
    const first = seen.get(c.id);
    if (first !== undefined) {
      throw new ConfigError(file, `clusters[${i}].id`, `duplicate cluster id '${c.id}' (first at clusters[${first}])`);
    }
    seen.set(c.id, i);
    if (!inv.waves.some((w) => w.name === c.wave)) {
      const names = inv.waves.map((w) => w.name).join(', ');
      throw new ConfigError(file, `clusters[${i}].wave`, `wave '${c.wave}' is not in waves (${names})`);
    }
    if (c.env !== `clusters/${c.id}/.env`) {
      throw new ConfigError(file, `clusters[${i}].env`, `must be 'clusters/${c.id}/.env' for cluster '${c.id}'`);
    }
    if (!fs.existsSync(path.join(treeDir, c.env))) {
      throw new ConfigError(file, `clusters[${i}].env`, `env file '${c.env}' not found`);
    }
  });
  return inv;
}

export function findCluster(inv: Inventory, id: string): ClusterSpec {
  const c = inv.clusters.find((x) => x.id === id);
  if (!c) throw new ConfigError(CONFIG_PATHS.inventory, 'clusters', `no cluster with id '${id}'`);
  return c;
}
