import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { ConfigError } from './config-error';
import { CONFIG_PATHS, parseWith, parseYaml, readRepoFile } from './config-files';
import { DEFAULT_LIMITS, limitOf, type Limits } from './limits';
import type { ComposeService } from './compose-file';
import { DEFAULT_ALLOWLIST, GROUPS, PROFILES } from './fleet-taxonomy';
import type { ClusterSpec } from './inventory';

const allowlistSchema = z.strictObject({
  common: z.array(z.string()).default(['beta']),
  groups: z.partialRecord(
    z.enum(GROUPS),
    z.strictObject({ profiles: z.array(z.enum(PROFILES)), services: z.array(z.string()) }),
  ),
});

export type Allowlist = z.infer<typeof allowlistSchema>;

/** policies/allowlist.yaml when the repo has one, else the SPEC-4 taxonomy. */
export function loadAllowlist(treeDir: string, limits: Limits = DEFAULT_LIMITS): Allowlist {
  const file = CONFIG_PATHS.allowlist;
  if (!fs.existsSync(path.join(treeDir, file))) return DEFAULT_ALLOWLIST;
  return parseWith(allowlistSchema, file, parseYaml(file, readRepoFile(treeDir, file, limitOf(limits, 'policies', 'maxBytes'))));
}

/** Refuses a cluster whose profiles, or whose active services, its group may not run. */
export function checkAllowed(allow: Allowlist, cluster: ClusterSpec, clusterIndex: number, active: ComposeService[]): void {
  const rules = allow.groups[cluster.group] ?? { profiles: [], services: [] };
  cluster.profiles.forEach((p, i) => {
    if (!rules.profiles.includes(p)) {
      throw new ConfigError(
        CONFIG_PATHS.inventory,
        `clusters[${clusterIndex}].profiles[${i}]`,
        `profile '${p}' is not allowed for group '${cluster.group}' (allowed: ${rules.profiles.join(', ') || 'none'})`,
      );
    }
  });
  for (const s of active) {
    const allowed = s.profiles.length === 0 ? allow.common : rules.services;
    if (!allowed.includes(s.name)) {
      const via = s.profiles.length === 0 ? 'has no profile and is not in common' : `profile '${s.profiles.join(',')}'`;
      throw new ConfigError(
        CONFIG_PATHS.compose,
        `services.${s.name}`,
        `service '${s.name}' (${via}) is not allowed for group '${cluster.group}' of cluster '${cluster.id}'`,
      );
    }
  }
}
