import * as path from 'node:path';
import { ConfigError } from '../config/config-error';
import { CONFIG_PATHS } from '../config/config-files';
import { GOVERNED_FIELDS, allowanceOf, type GovernedField, type RuntimePolicy } from '../config/runtime-policy';
import { isMapping } from './compose-model';

/**
 * Host paths whose bind mount takes the Pi: the Docker socket, the engine's
 * data, the kernel's interfaces, host config, boot and home directories. A
 * path under one, or above one (`/var` holds `/var/lib/docker`), is one of
 * them; the policy allows it only by naming exactly that path.
 */
export const HOST_TAKING_PATHS = [
  '/var/run/docker.sock',
  '/run/docker.sock',
  '/var/lib/docker',
  '/etc',
  '/proc',
  '/sys',
  '/dev',
  '/root',
  '/home',
  '/boot',
  '/usr',
  '/lib',
  '/bin',
  '/sbin',
] as const;

/** Service fields that cannot hand a container the host: they pass without an allowance. */
const HARMLESS_FIELDS = new Set([
  'image', 'profiles', 'depends_on', 'environment', 'command', 'entrypoint', 'healthcheck', 'labels', 'restart',
  'expose', 'working_dir', 'user', 'stop_signal', 'stop_grace_period', 'init', 'read_only', 'tmpfs', 'secrets',
  'configs', 'logging', 'hostname', 'domainname', 'container_name', 'mem_limit', 'memswap_limit', 'mem_reservation',
  'mem_swappiness', 'cpus', 'cpu_count', 'cpu_percent', 'cpu_shares', 'cpu_quota', 'cpu_period', 'cpuset', 'pids_limit',
  'shm_size', 'ulimits', 'networks', 'deploy', 'extra_hosts', 'dns', 'dns_search', 'dns_opt', 'mac_address', 'stdin_open',
  'tty', 'platform', 'pull_policy', 'scale', 'oom_score_adj', 'cap_drop', 'group_add', 'annotations', 'attach', 'links',
  'external_links', 'blkio_config',
]);

/** Namespace modes that keep the container in its own namespace. */
const PRIVATE_MODES: Partial<Record<GovernedField, readonly string[]>> = { ipc: ['private', 'shareable', 'none'], cgroup: ['private'] };
const CONFINING_SECURITY_OPT = /^no-new-privileges(?:[:=]true)?$/;
const UNCONFINING_SECURITY_OPT = /unconfined|label[:=]disable|no-new-privileges[:=]false|systempaths[:=]unconfined/;

/** Why a field hands over the host, as an operator reads it after the field name. */
const WHY: Record<GovernedField, string> = {
  privileged: 'privileged: true gives the container every capability and every host device (root on the Pi)',
  network_mode: 'network_mode takes the container out of its plane network',
  pid: 'pid shares another process namespace (host: every process of the Pi)',
  ipc: 'ipc shares the host\'s or another container\'s IPC namespace',
  uts: 'uts: host shares the Pi\'s hostname namespace',
  userns_mode: 'userns_mode: host turns user-namespace remapping off',
  cgroup: 'cgroup: host shares the Pi\'s cgroup namespace',
  cgroup_parent: 'cgroup_parent moves the container under a cgroup of the host',
  cap_add: 'cap_add gives the container kernel capabilities',
  devices: 'devices maps host devices into the container',
  device_cgroup_rules: 'device_cgroup_rules opens host devices to the container',
  gpus: 'gpus maps host devices into the container',
  security_opt: 'security_opt changes the container\'s confinement',
  sysctls: 'sysctls sets kernel parameters',
  volumes: 'volumes mounts something other than a volume of this project',
  volumes_from: 'volumes_from mounts another container\'s volumes',
  ports: 'ports publishes a port on the Pi\'s own interfaces',
  runtime: 'runtime replaces the container runtime',
  env_file: 'env_file reads a file the gates do not see into the container',
  label_file: 'label_file reads a file the gates do not see',
  post_start: 'a lifecycle hook runs commands, as any user and privileged, that the gates do not judge',
  pre_stop: 'a lifecycle hook runs commands, as any user and privileged, that the gates do not judge',
};

/** One value of a governed field that needs an allowance: what the policy would list, and why it is refused. */
interface Finding {
  /** What an allowance list names to let this through (a capability, a host path, a volume name, a mode…). */
  value: string;
  reason: string;
  /** Allowed only by listing exactly `value`: a broader path does not cover it. */
  exact?: boolean;
  /** No allowance covers it. */
  never?: boolean;
}

/** A top-level volume definition, for the named volumes a service mounts. */
export type VolumeDefinitions = Record<string, unknown> | undefined;

const listOf = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);
const show = (v: unknown) => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v));

/**
 * Refuses a service whose definition can take the host, unless the runtime
 * policy allows that field for this service by name. Reads both the file as
 * written (the gates) and the model `docker compose config` resolved (each
 * cluster), so it accepts the short and the long syntax of every field.
 */
export function checkServicePrivileges(policy: RuntimePolicy, name: string, service: Record<string, unknown>, volumes: VolumeDefinitions): void {
  for (const [field, value] of Object.entries(service)) {
    if (HARMLESS_FIELDS.has(field) || field.startsWith('x-')) continue;
    if (!(GOVERNED_FIELDS as readonly string[]).includes(field)) {
      refuse(name, field, `'${field}' is not a service field the runtime policy knows, and what it cannot judge it refuses`);
    }
    checkField(policy, name, field as GovernedField, findingsOf(field as GovernedField, value, volumes));
  }
  const reserved = isMapping(service.deploy) && isMapping(service.deploy.resources) && isMapping(service.deploy.resources.reservations)
    ? service.deploy.resources.reservations.devices
    : undefined;
  if (listOf(reserved).length > 0 && allowanceOf(policy, name, 'devices') !== true) {
    refuse(name, 'deploy.resources.reservations.devices', `${WHY.devices}; ${notAllowed(name, 'devices')}`);
  }
}

function checkField(policy: RuntimePolicy, name: string, field: GovernedField, findings: Finding[]): void {
  const allowance = allowanceOf(policy, name, field);
  for (const f of findings) {
    if (f.never) refuse(name, field, f.reason);
    if (allowance === true || allowance?.some((a) => covers(a, f))) continue;
    refuse(name, field, `${f.reason}; ${notAllowed(name, field, f.value)}`);
  }
}

/** An allowed value covers a finding when equal, or as a host path above a path that is not host-taking. */
function covers(allowed: string, f: Finding): boolean {
  const a = allowed.startsWith('/') ? hostPath(allowed) : allowed;
  if (a === f.value) return true;
  if (f.exact || !a.startsWith('/') || !f.value.startsWith('/')) return false;
  return f.value.startsWith(a === '/' ? '/' : `${a}/`);
}

/** An absolute host path as the engine reads it: `..` and `.` resolved, no trailing slash. */
function hostPath(p: string): string {
  return path.posix.normalize(p).replace(/(.)\/+$/, '$1');
}

function notAllowed(name: string, field: GovernedField, value?: string): string {
  const example = value === undefined || value === '' ? 'true' : `[${JSON.stringify(value)}]`;
  return `${CONFIG_PATHS.runtimePolicy} does not allow it for '${name}' (allow: {${name}: {${field}: ${example}}})`;
}

function refuse(name: string, field: string, reason: string): never {
  throw new ConfigError(CONFIG_PATHS.compose, `services.${name}.${field}`, reason);
}

function findingsOf(field: GovernedField, value: unknown, volumes: VolumeDefinitions): Finding[] {
  switch (field) {
    case 'privileged':
      return value === false ? [] : [{ value: '', reason: WHY.privileged }];
    case 'ipc':
    case 'cgroup':
    case 'network_mode':
    case 'pid':
    case 'uts':
    case 'userns_mode':
    case 'cgroup_parent':
    case 'runtime':
      if (value === undefined || value === null) return [];
      if (PRIVATE_MODES[field]?.includes(String(value))) return [];
      return [{ value: String(value), reason: `${WHY[field]} (${field}: ${show(value)})` }];
    case 'cap_add':
      return listOf(value).map((c) => {
        const cap = String(c).toUpperCase().replace(/^CAP_/, '');
        return { value: cap, reason: `${WHY.cap_add} (${cap})` };
      });
    case 'security_opt':
      return listOf(value)
        .map(String)
        .filter((o) => !CONFINING_SECURITY_OPT.test(o))
        .map((o) => ({ value: o, reason: UNCONFINING_SECURITY_OPT.test(o) ? `security_opt '${o}' turns the container's confinement off` : `${WHY.security_opt} ('${o}')` }));
    case 'sysctls':
      return (isMapping(value) ? Object.keys(value) : listOf(value).map((s) => String(s).split('=')[0]!)).map((k) => ({
        value: k,
        reason: `${WHY.sysctls} (${k})`,
      }));
    case 'volumes':
      return listOf(value).flatMap((v) => volumeFindings(v, volumes));
    case 'devices':
    case 'device_cgroup_rules':
    case 'volumes_from':
    case 'env_file':
    case 'label_file':
      return listOf(value).map((v) => {
        const named = String(isMapping(v) ? (v.source ?? v.path) : v);
        return { value: named, reason: `${WHY[field]} (${show(named)})` };
      });
    case 'gpus':
    case 'ports':
    case 'post_start':
    case 'pre_stop':
      return listOf(value).length === 0 ? [] : [{ value: '', reason: `${WHY[field]} (${field}: ${show(value)})` }];
  }
}

/** A mount: a named or anonymous volume of the project and tmpfs pass; anything else is found. */
function volumeFindings(mount: unknown, volumes: VolumeDefinitions): Finding[] {
  let type: string;
  let source: string | undefined;
  if (typeof mount === 'string') {
    const parts = mount.split(':');
    source = parts.length > 1 ? parts[0] : undefined;
    type = source && /^[./~]/.test(source) ? 'bind' : 'volume';
  } else if (isMapping(mount)) {
    type = String(mount.type ?? 'volume');
    source = mount.source === undefined ? undefined : String(mount.source);
  } else {
    return [{ value: String(mount), reason: `mount ${show(mount)} is neither the short nor the long volume syntax` }];
  }
  if (type === 'tmpfs' || (type === 'volume' && !source)) return [];
  if (type === 'volume') return namedVolumeFindings(source!, volumes);
  if (type !== 'bind') return [{ value: source ?? type, reason: `mounts a '${type}', not a volume of this project` }];
  return [bindFinding(source!)];
}

function bindFinding(source: string): Finding {
  if (!source.startsWith('/')) {
    // Compose makes it absolute under the per-commit work tree (or the worker's home): no allowance can name that path.
    return { value: source, reason: `binds '${source}', relative to the work tree or a home directory; a bind mount names an absolute host path`, never: true };
  }
  const host = hostPath(source);
  const taken = HOST_TAKING_PATHS.find((p) => host === '/' || host === p || host.startsWith(`${p}/`) || p.startsWith(`${host}/`));
  if (taken) return { value: host, reason: `binds the host path '${host}', which takes the Pi (${host === '/' ? 'its whole file system' : taken})`, exact: true };
  return { value: host, reason: `binds the host path '${host}' into the container` };
}

/** A named volume is the project's own unless its definition reaches past the engine's volume store. */
function namedVolumeFindings(name: string, volumes: VolumeDefinitions): Finding[] {
  const def = volumes?.[name];
  if (!isMapping(def)) return [];
  const opts = isMapping(def.driver_opts) ? def.driver_opts : undefined;
  if (opts) {
    const device = opts.device === undefined ? undefined : String(opts.device);
    const why = device ? `its driver_opts mount '${device}' of the host` : 'it sets driver_opts';
    return [{ value: name, reason: `volume '${name}' is not a plain project volume: ${why}`, exact: true }];
  }
  if (def.driver !== undefined && def.driver !== 'local') {
    return [{ value: name, reason: `volume '${name}' uses the volume driver ${show(def.driver)}`, exact: true }];
  }
  if (def.external) return [{ value: name, reason: `volume '${name}' is external: made outside this commit, perhaps another project's data`, exact: true }];
  if (def.name !== undefined) return [{ value: name, reason: `volume '${name}' names its engine volume ${show(def.name)}, which can be another project's`, exact: true }];
  return [];
}
