/**
 * Builds a config repo work tree (SPEC-3/SPEC-4 layout) in a fresh temp dir.
 *
 * `writeTree()` writes a valid two-cluster fleet; pass overrides keyed by repo
 * path to replace a file (string) or leave it out (null).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../../config/config-error';

export const COMPOSE_FILE = 'compose/docker-compose.yml';
export const INVENTORY_FILE = 'clusters/clusters.yaml';
export const ALLOWLIST_FILE = 'policies/allowlist.yaml';
export const OPT_OUT_FILE = 'policies/lucid.yaml';
export const INSECURE_TREE = 'insecure: {unsignedCommits: true, unpinnedImages: true}\n';

export const VALID_COMPOSE = `services:
  beta:
    image: registry.example/beta:1.4.0
    labels: {com.lucid.plane: ops, com.lucid.service: beta, com.lucid.expose: "8080"}
    restart: unless-stopped
  node-worker:
    image: registry.example/node-worker:2.0.1
    labels: {com.lucid.plane: ops, com.lucid.service: node-worker, com.lucid.expose: "8080"}
    profiles: [node]
  node-data-host:
    image: registry.example/node-data-host:2.0.1
    labels: {com.lucid.plane: chain, com.lucid.service: node-data-host, com.lucid.expose: "8080"}
    profiles: [node]
  sessions-gateway:
    image: registry.example/sessions-gateway:0.9.0
    labels: {com.lucid.plane: ops, com.lucid.service: sessions-gateway, com.lucid.expose: "8080"}
    profiles: [sessions]
  sessions-index:
    image: registry.example/sessions-index:0.9.0
    labels: {com.lucid.plane: chain, com.lucid.service: sessions-index, com.lucid.expose: "8080"}
    profiles: [sessions]
  admin-api:
    image: registry.example/admin-api:3.1.0
    labels: {com.lucid.plane: ops, com.lucid.service: admin-api, com.lucid.expose: "8080"}
    profiles: [admin]
  metrics:
    image: registry.example/metrics:1.0.0
    labels: {com.lucid.plane: ops, com.lucid.service: metrics, com.lucid.expose: "8080"}
    profiles: [observability]
`;

/** The plane labels every service carries, as an inline YAML line of a service. */
export function planeLabels(name: string, plane = 'ops', expose = '8080'): string {
  return `    labels: {com.lucid.plane: ${plane}, com.lucid.service: ${name}, com.lucid.expose: "${expose}"}\n`;
}

export const VALID_INVENTORY = `clusters:
  - id: edge-node-1
    group: node
    profiles: [node]
    wave: edge
    labels:
      site: lisbon
    env: clusters/edge-node-1/.env
  - id: sess-1
    group: sessions
    profiles: [sessions]
    env: clusters/sess-1/.env
`;

export interface EnvOptions {
  /** Extra or replacing KEY=value pairs; a null value drops the key. */
  set?: Record<string, string | null>;
}

/** A SPEC-4 clusters/<id>/.env that matches the given cluster. */
export function envFile(id: string, profiles: string[], opts: EnvOptions = {}): string {
  const vars: Record<string, string | null> = {
    CLUSTER_ID: id,
    PROFILES: profiles.join(','),
    BETA_PLANES: 'ops,chain',
    TOR_SOCKS: 'tor:9050',
    MONGO_RS: 'rs0',
    MONGO_SHARD_RANGE: '0-1023',
    TRON_MODE: 'shasta',
    S3_ENDPOINT: 'https://s3.example:9000',
    S3_ACCESS_KEY: 'enc:sops',
    S3_SECRET_KEY: 'enc:sops',
    ...opts.set,
  };
  const lines = ['# SPEC-4 cluster env'];
  for (const [k, v] of Object.entries(vars)) if (v !== null) lines.push(`${k}=${v}`);
  return lines.join('\n') + '\n';
}

export function defaultFiles(): Record<string, string> {
  return {
    [COMPOSE_FILE]: VALID_COMPOSE,
    [INVENTORY_FILE]: VALID_INVENTORY,
    'clusters/edge-node-1/.env': envFile('edge-node-1', ['node']),
    'clusters/sess-1/.env': envFile('sess-1', ['sessions']),
    // No signers, no image policy: the gates are on by default, so the valid test tree opts out of them, visibly.
    [OPT_OUT_FILE]: INSECURE_TREE,
  };
}

const created: string[] = [];

/** Writes the valid tree plus overrides into a new temp dir and returns its path. */
export function writeTree(overrides: Record<string, string | null> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-config-test-'));
  created.push(dir);
  const files: Record<string, string | null> = { ...defaultFiles(), ...overrides };
  for (const [rel, text] of Object.entries(files)) {
    if (text === null) continue;
    const full = path.join(dir, rel);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, text);
  }
  return dir;
}

/** Removes every tree written so far (call from afterEach/afterAll). */
export function removeTrees(): void {
  for (const dir of created.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** Runs fn, requires a ConfigError, and returns it for field-level assertions. */
export function configError(fn: () => unknown): ConfigError {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  if (thrown === undefined) throw new Error('expected a ConfigError, but nothing was thrown');
  if (!(thrown instanceof ConfigError)) {
    throw new Error(`expected a ConfigError, got ${thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown)}`);
  }
  return thrown;
}
