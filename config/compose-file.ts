import { z } from 'zod';
import { CONFIG_PATHS, parseWith, parseYaml, readRepoFile } from './config-files';
import { PROFILES, type Profile } from './fleet-taxonomy';

/** The part of the Compose model Lucid reasons about; everything else is left to `docker compose config`. */
const serviceSchema = z.looseObject({
  image: z
    .string({ error: 'every service needs an image (nothing is built on a cluster)' })
    .min(1, 'every service needs an image (nothing is built on a cluster)'),
  profiles: z
    .array(z.enum(PROFILES, { error: (i) => `unknown profile '${String(i.input)}' (known: ${PROFILES.join(', ')})` }))
    .refine((ps) => new Set(ps).size === ps.length, 'lists a profile twice')
    .optional(),
  build: z.never({ error: 'build: is not allowed; clusters only run published images' }).optional(),
  extends: z.never({ error: 'extends: is not allowed; every service is written out in this one file, where the gates see it' }).optional(),
});

const composeSchema = z.looseObject({
  include: z.never({ error: 'include: is not allowed; the whole network is this one file, where the gates see every image' }).optional(),
  services: z.record(
    z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'service names are lowercase letters, digits and dashes'),
    serviceSchema,
  ),
});

export interface ComposeService {
  name: string;
  image: string;
  profiles: Profile[];
}

export function loadComposeFile(treeDir: string): ComposeService[] {
  const file = CONFIG_PATHS.compose;
  const doc = parseWith(composeSchema, file, parseYaml(file, readRepoFile(treeDir, file)));
  return Object.entries(doc.services).map(([name, s]) => ({ name, image: s.image, profiles: s.profiles ?? [] }));
}

/** Services that `docker compose --profile ...` starts: those without profiles, and those sharing one. */
export function activeServices(services: ComposeService[], profiles: readonly Profile[]): ComposeService[] {
  return services.filter((s) => s.profiles.length === 0 || s.profiles.some((p) => profiles.includes(p)));
}
