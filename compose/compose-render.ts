import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatClusterEnv } from '../config/cluster-env';
import { ConfigError } from '../config/config-error';
import { CONFIG_PATHS } from '../config/config-files';
import type { ClusterConfig } from '../config/fleet-config';
import type { RuntimePolicy } from '../config/runtime-policy';
import type { PlannedService } from '../workflows/reconcile-types';
import type { ClusterEngine } from './cluster-engine';
import { LABELS } from './compose-labels';
import { attachPlaneNetworks } from './plane-networks';

export interface RenderedProject {
  file: string;
  services: PlannedService[];
}

type ComposeModel = {
  services: Record<string, Record<string, unknown> & { labels?: Record<string, string> }>;
  networks?: Record<string, unknown>;
  secrets?: Record<string, Record<string, unknown>>;
};

/**
 * Hash of a service as Compose resolved it, minus Lucid's own labels and the
 * per-commit tree path, so the same definition in two commits hashes the same.
 */
export function serviceConfigHash(service: Record<string, unknown>, treeDir: string): string {
  const labels = { ...((service.labels as Record<string, string>) ?? {}) };
  delete labels[LABELS.commit];
  delete labels[LABELS.configHash];
  const canonical = canonicalJson({ ...service, labels }).split(treeDir).join('${TREE}');
  return createHash('sha256').update(canonical).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Resolves the cluster's Compose project (its profiles, its env) through the
 * engine (`docker compose config` on the real one) and writes it, labelled, as `outFile`. Compose gets
 * the env the gates validated, not the repo's .env file: one parser reads that
 * file, on the console and on the cluster alike.
 *
 * A service keeps the commit label it already runs with when its config hash is
 * unchanged: the commit label then says which commit last changed the service,
 * and Compose leaves untouched services alone instead of recreating the fleet
 * for every commit.
 */
export async function renderProject(args: {
  treeDir: string;
  config: ClusterConfig;
  commit: string;
  running: Map<string, { commit: string; configHash: string }>;
  outFile: string;
  /** Decrypted secrets as files on tmpfs, by name; every secret the project declares must be here. */
  secretFiles?: Map<string, string>;
  /** The commit's runtime policy: who gets a network off the host. */
  runtime: RuntimePolicy;
  engine: Pick<ClusterEngine, 'resolveProject'>;
}): Promise<RenderedProject> {
  const { treeDir, config, commit, running, outFile } = args;
  const { cluster } = config;
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  const envFile = `${outFile}.env-${process.pid}`;
  fs.writeFileSync(envFile, formatClusterEnv(config.env));
  const stdout = await args.engine
    .resolveProject({ composeFile: path.join(treeDir, CONFIG_PATHS.compose), envFile, profiles: cluster.profiles, cwd: treeDir })
    .finally(() => fs.rmSync(envFile, { force: true }));
  const model = JSON.parse(stdout) as ComposeModel;
  for (const [name, secret] of Object.entries(model.secrets ?? {})) {
    const file = args.secretFiles?.get(name);
    if (!file) {
      throw new ConfigError(CONFIG_PATHS.compose, `secrets.${name}`, `not in secrets/${cluster.id}.enc.yaml or secrets/${cluster.id}.d/ for cluster '${cluster.id}'`);
    }
    // Only the tmpfs file: no host environment variable or repo file can stand in for a secret.
    model.secrets![name] = { name: secret.name, file };
  }
  attachPlaneNetworks(cluster.id, model, args.runtime);
  const services: PlannedService[] = [];
  for (const [name, svc] of Object.entries(model.services)) {
    delete svc.profiles;
    // Compose hashes a secret by name, not by its file: the tmpfs path of each secret the service reads (a new
    // path whenever a value changes) goes into the hash, so a rotated secret recreates the services that read it.
    const secretFiles = ((svc.secrets as Array<{ source?: string }> | undefined) ?? []).map((s) => model.secrets?.[s.source ?? '']?.file ?? null);
    const configHash = serviceConfigHash(secretFiles.length ? { ...svc, 'x-lucid-secret-files': secretFiles } : svc, treeDir);
    const prior = running.get(name);
    const labelCommit = prior && prior.configHash === configHash ? prior.commit : commit;
    svc.labels = {
      ...(svc.labels ?? {}),
      [LABELS.cluster]: cluster.id,
      [LABELS.commit]: labelCommit,
      [LABELS.configHash]: configHash,
    };
    services.push({
      name,
      image: String(svc.image),
      configHash,
    });
  }
  const tmp = `${outFile}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(model, null, 2));
  fs.renameSync(tmp, outFile);
  return { file: outFile, services: services.sort((a, b) => a.name.localeCompare(b.name)) };
}

