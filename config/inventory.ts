import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { ConfigError } from './config-error';
import { CONFIG_PATHS, parseWith, parseYaml, readRepoFile } from './config-files';
import { DEFAULT_WAVES, GROUPS, PROFILES } from './fleet-taxonomy';

/** Ids become task queue names and Compose project names, so they stay DNS-label-like. */
export const clusterIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'must be lowercase letters, digits and dashes (max 40), starting alphanumeric');

const waveNameSchema = z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, 'must be a lowercase wave name');

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
  waves: z.array(waveNameSchema).min(1).default([...DEFAULT_WAVES]),
  clusters: z.array(clusterSchema).min(1, 'the inventory lists no cluster'),
});

export type ClusterSpec = z.infer<typeof clusterSchema>;
export type Inventory = z.infer<typeof inventorySchema>;

export function loadInventory(treeDir: string): Inventory {
  const file = CONFIG_PATHS.inventory;
  const inv = parseWith(inventorySchema, file, parseYaml(file, readRepoFile(treeDir, file)));
  const seen = new Map<string, number>();
  inv.clusters.forEach((c, i) => {
    const first = seen.get(c.id);
    if (first !== undefined) {
      throw new ConfigError(file, `clusters[${i}].id`, `duplicate cluster id '${c.id}' (first at clusters[${first}])`);
    }
    seen.set(c.id, i);
    if (!inv.waves.includes(c.wave)) {
      throw new ConfigError(file, `clusters[${i}].wave`, `wave '${c.wave}' is not in waves (${inv.waves.join(', ')})`);
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
