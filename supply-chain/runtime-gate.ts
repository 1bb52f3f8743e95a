import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../config/config-error';
import { CONFIG_PATHS, fieldPath, parseYaml, readRepoFile } from '../config/config-files';
import type { FleetConfig } from '../config/fleet-config';
import { limitOf } from '../config/limits';
import { GOVERNED_FIELDS, type RuntimePolicy } from '../config/runtime-policy';
import { checkServicePrivileges } from './container-privileges';
import { checkEgressDependency } from './egress-dependency';
import { isMapping, type ComposeServices } from './compose-model';

interface ComposeDoc {
  services: ComposeServices;
  volumes?: Record<string, unknown>;
  configs?: Record<string, unknown>;
}

const FILE = CONFIG_PATHS.compose;
/** The fields the gates judge as written; `$` in them would let a .env or the worker's environment change the verdict. */
const LITERAL_FIELDS = [...GOVERNED_FIELDS, 'deploy'];
/**
 * The runtime gate over the compose file as committed (SPEC-3: containers
 * cannot take the Pi): every service, active on some cluster or not, against
 * policies/runtime.yaml, and each cluster's Tor egress dependency. The commit
 * is judged as a whole, on the console and on every cluster alike.
 */
export function checkRuntimeGate(treeDir: string, fleet: FleetConfig): RuntimePolicy {
  const policy = fleet.runtime;
  const doc = parseYaml(FILE, readRepoFile(treeDir, FILE, limitOf(fleet.limits, 'compose', 'maxBytes'))) as ComposeDoc;
  refuseMergeKeys(doc, []);
  for (const [name, def] of Object.entries(doc.volumes ?? {})) refuseInterpolation(`volumes.${name}`, def);
  for (const [name, def] of Object.entries(doc.configs ?? {})) checkConfigSource(treeDir, name, def);
  for (const [name, service] of Object.entries(doc.services)) {
    for (const field of LITERAL_FIELDS) refuseInterpolation(`services.${name}.${field}`, service[field]);
    checkServicePrivileges(policy, name, service, doc.volumes);
  }
  for (const { cluster, services } of fleet.clusters.values()) {
    checkEgressDependency(policy, doc.services, services.map((s) => s.name), cluster.id);
  }
  return policy;
}

/**
 * The same rules over what `docker compose config` resolved for one cluster
 * (defence in depth: what runs is judged, not only what was written). Named
 * volumes were judged as written; resolved, every one carries its engine name.
 */
export function checkResolvedRuntime(policy: RuntimePolicy, services: ComposeServices, clusterId: string): void {
  for (const [name, service] of Object.entries(services)) checkServicePrivileges(policy, name, service, undefined);
  checkEgressDependency(policy, services, Object.keys(services), clusterId);
}

/** Compose honours YAML merge keys (`<<: *anchor`); the gates' parser does not, so they would read another file. */
function refuseMergeKeys(value: unknown, at: Array<string | number>): void {
  if (Array.isArray(value)) value.forEach((v, i) => refuseMergeKeys(v, [...at, i]));
  if (!isMapping(value)) return;
  for (const [key, v] of Object.entries(value)) {
    if (key === '<<') throw new ConfigError(FILE, fieldPath([...at, key]), 'YAML merge keys are not allowed: write the fields out, where the gates read them as Compose does');
    refuseMergeKeys(v, [...at, key]);
  }
}

function refuseInterpolation(field: string, value: unknown): void {
  if (value !== undefined && JSON.stringify(value).includes('$')) {
    throw new ConfigError(FILE, field, "uses '$' interpolation: the runtime gates judge this field as written, which a .env or the worker's environment would change");
  }
}

/** A config's content comes from the commit: inline, or a regular file of the work tree, never the host or the worker's environment. */
function checkConfigSource(treeDir: string, name: string, def: unknown): void {
  if (!isMapping(def)) return;
  if (def.environment !== undefined) {
    throw new ConfigError(FILE, `configs.${name}.environment`, "reads the worker's environment into a container; write the content in the file (content:)");
  }
  if (def.file === undefined) return;
  const tree = fs.realpathSync(treeDir);
  const file = path.resolve(tree, path.dirname(FILE), String(def.file));
  let real: string | undefined;
  try {
    real = fs.realpathSync(file);
  } catch {
    real = undefined;
  }
  if (!file.startsWith(`${tree}/`) || real !== file || !fs.statSync(real).isFile()) {
    throw new ConfigError(FILE, `configs.${name}.file`, `'${String(def.file)}' is not a regular file of the commit (no host paths, no symbolic links)`);
  }
}
