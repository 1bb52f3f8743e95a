import { z } from 'zod';
import { ConfigError } from './config-error';
import { CONFIG_PATHS, checkCount, itemsUnder, parseWith, parseYaml, readRepoFile } from './config-files';
import { DEFAULT_LIMITS, limitOf, type Limits } from './limits';
import { PROFILES, type Profile } from './fleet-taxonomy';
import { DEFAULT_WALLET_PLANE, labelMap, servicePlane } from './service-planes';

const NETWORKS_REFUSED = "networks: is not allowed; Lucid puts each service on its com.lucid.plane label's network, so no service can bridge planes";

/** The part of the Compose model Lucid reasons about; everything else is left to `docker compose config`. */
const serviceSchema = z.looseObject({
  image: z
    .string({ error: 'every service needs an image (nothing is built on a cluster)' })
    .min(1, 'every service needs an image (nothing is built on a cluster)'),
  profiles: z
    .array(z.enum(PROFILES, { error: (i) => `unknown profile '${String(i.input)}' (known: ${PROFILES.join(', ')})` }))
    .refine((ps) => new Set(ps).size === ps.length, 'lists a profile twice')
    .optional(),
  depends_on: z
    .union([z.array(z.string()), z.record(z.string(), z.unknown())], { error: 'depends_on is a list of service names or a map by service name' })
    .optional(),
  build: z.never({ error: 'build: is not allowed; clusters only run published images' }).optional(),
  extends: z.never({ error: 'extends: is not allowed; every service is written out in this one file, where the gates see it' }).optional(),
  networks: z.never({ error: NETWORKS_REFUSED }).optional(),
  labels: z
    .union([z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])), z.array(z.string())], {
      error: 'labels is a map or a list of key=value',
    })
    .optional(),
});

const composeSchema = z.looseObject({
  include: z.never({ error: 'include: is not allowed; the whole network is this one file, where the gates see every image' }).optional(),
  networks: z.never({ error: NETWORKS_REFUSED }).optional(),
  services: z.record(
    z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'service names are lowercase letters, digits and dashes'),
    serviceSchema,
  ),
});

export interface ComposeService {
  name: string;
  image: string;
  profiles: Profile[];
  dependsOn: string[];
}

/** `walletPlane`: the services the runtime policy pairs on the wallet network. */
export function loadComposeFile(
  treeDir: string,
  limits: Limits = DEFAULT_LIMITS,
  walletPlane: readonly string[] = DEFAULT_WALLET_PLANE,
): ComposeService[] {
  const file = CONFIG_PATHS.compose;
  const raw = parseYaml(file, readRepoFile(treeDir, file, limitOf(limits, 'compose', 'maxBytes')));
  checkCount(file, 'services', itemsUnder(raw, 'services'), limitOf(limits, 'compose', 'maxServices'), 'services');
  const doc = parseWith(composeSchema, file, raw);
  for (const [name, s] of Object.entries(doc.services)) servicePlane(name, labelMap(s.labels), walletPlane);
  const services = Object.entries(doc.services).map(([name, s]) => ({
    name,
    image: s.image,
    profiles: s.profiles ?? [],
    dependsOn: Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {}),
  }));
  const names = new Set(services.map((s) => s.name));
  for (const s of services) {
    for (const dep of s.dependsOn) {
      if (!names.has(dep)) throw new ConfigError(file, `services.${s.name}.depends_on`, `depends on '${dep}', which is not a service of this file`);
    }
  }
  return services;
}

/**
 * Compose refuses to start a service whose dependency its profiles leave out;
 * checked here so the console's gates refuse what a cluster's render would.
 */
export function checkDependencies(active: ComposeService[], clusterId: string, profiles: readonly Profile[]): void {
  const running = new Set(active.map((s) => s.name));
  for (const s of active) {
    const missing = s.dependsOn.find((d) => !running.has(d));
    if (missing) {
      throw new ConfigError(
        CONFIG_PATHS.compose,
        `services.${s.name}.depends_on`,
        `depends on '${missing}', which cluster '${clusterId}' does not run with profiles ${profiles.join(',') || '(none)'}`,
      );
    }
  }
}

/** Services that `docker compose --profile ...` starts: those without profiles, and those sharing one. */
export function activeServices(services: ComposeService[], profiles: readonly Profile[]): ComposeService[] {
  return services.filter((s) => s.profiles.length === 0 || s.profiles.some((p) => profiles.includes(p)));
}
