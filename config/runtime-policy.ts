import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { CONFIG_PATHS, parseWith, parseYaml, readRepoFile } from './config-files';
import { DEFAULT_LIMITS, limitOf, type Limits } from './limits';
import { DEFAULT_WALLET_PLANE } from './service-planes';

/**
 * Service fields that can hand a container the host (its kernel, devices,
 * namespaces, files or ports). Each is refused unless policies/runtime.yaml
 * allows it for the service by name.
 */
export const GOVERNED_FIELDS = [
  'privileged',
  'network_mode',
  'pid',
  'ipc',
  'uts',
  'userns_mode',
  'cgroup',
  'cgroup_parent',
  'cap_add',
  'devices',
  'device_cgroup_rules',
  'gpus',
  'security_opt',
  'sysctls',
  'volumes',
  'volumes_from',
  'ports',
  'runtime',
  'env_file',
  'label_file',
  'post_start',
  'pre_stop',
] as const;
export type GovernedField = (typeof GOVERNED_FIELDS)[number];

/** Fields whose values have no name an allowance could list: allowed wholesale (`true`) or not at all. */
export const ALL_OR_NOTHING_FIELDS: ReadonlySet<GovernedField> = new Set(['privileged', 'ports', 'post_start', 'pre_stop', 'gpus']);

/** `true`: any value of the field; a list: only these values (capabilities, host paths, volume names, modes…). */
export type Allowance = true | string[];

const serviceName = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'service names are lowercase letters, digits and dashes');
const allowanceSchema = z.union([z.literal(true), z.array(z.string().min(1, 'an allowed value is not empty')).min(1, 'list at least one value, or write true')], {
  error: 'an allowance is true (any value) or a list of allowed values',
});

/** Per service: a list of fields (`[ports]`, each allowed wholesale) or a map of field to allowance. */
const serviceAllowanceSchema = z.preprocess(
  (v) => (Array.isArray(v) ? Object.fromEntries(v.map((f) => [String(f), true])) : v),
  z.record(z.string(), allowanceSchema, { error: 'a service allowance is a list of fields ([ports]) or a map of field to true or a list of values' }).superRefine((byField, ctx) => {
    for (const [field, allowance] of Object.entries(byField)) {
      if (!(GOVERNED_FIELDS as readonly string[]).includes(field)) {
        ctx.addIssue({ code: 'custom', path: [field], message: `'${field}' is not a field the runtime policy governs (${GOVERNED_FIELDS.join(', ')})` });
      } else if (ALL_OR_NOTHING_FIELDS.has(field as GovernedField) && allowance !== true) {
        ctx.addIssue({ code: 'custom', path: [field], message: `${field} is allowed with true only (its values have no names to list)` });
      }
    }
  }),
) as z.ZodType<Partial<Record<GovernedField, Allowance>>>;

const runtimePolicySchema = z.strictObject({
  /** By service name, the governed fields it may use. Nothing is allowed globally. */
  allow: z.record(serviceName, serviceAllowanceSchema).default({}),
  /** The service every other service waits for, healthy, when a cluster runs it (SPEC-3 M7: no workload without its Tor egress). */
  egress: serviceName.default('tor'),
  /** The services that may sit on the wallet plane (SPEC-3 M8). */
  walletPlane: z.array(serviceName).default([...DEFAULT_WALLET_PLANE]),
  /**
   * Services that get a network off the host besides their plane (tron-node to
   * reach TRON); the egress service and services allowed `ports` always do.
   */
  outside: z.array(serviceName).default([]),
});

export type RuntimePolicy = z.infer<typeof runtimePolicySchema>;

/** What holds when the repo has no policies/runtime.yaml: every governed field refused, Tor egress required. */
export const DEFAULT_RUNTIME_POLICY: RuntimePolicy = Object.freeze(runtimePolicySchema.parse({}));

export function parseRuntimePolicy(text: string): RuntimePolicy {
  const file = CONFIG_PATHS.runtimePolicy;
  // An empty file, or one holding only comments, allows nothing, like no file.
  return parseWith(runtimePolicySchema, file, parseYaml(file, text) ?? {});
}

/** policies/runtime.yaml of a work tree, read within its size limit; absent, the safe default. */
export function loadRuntimePolicy(treeDir: string, limits: Limits = DEFAULT_LIMITS): RuntimePolicy {
  const file = CONFIG_PATHS.runtimePolicy;
  if (!fs.existsSync(path.join(treeDir, file))) return DEFAULT_RUNTIME_POLICY;
  return parseRuntimePolicy(readRepoFile(treeDir, file, limitOf(limits, 'policies', 'maxBytes')));
}

/** What the policy allows `service` for `field`; undefined: nothing. */
export function allowanceOf(policy: RuntimePolicy, service: string, field: GovernedField): Allowance | undefined {
  return policy.allow[service]?.[field];
}
