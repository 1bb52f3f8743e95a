import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import type { TemporalConnectionOptions } from '../../config/temporal-connection';
import { FLEET_DYNAMIC_CONFIG } from './fleet-dynamic-config';
import { ManagedProcess, portOpen, waitFor } from './managed-process';
import { PG_USER } from './postgres-server';
import { toolPaths } from './tool-paths';

const HOST = '127.0.0.1';
const run = promisify(execFile);

/** The databases on the stack's PostgreSQL: Temporal's two and FerretDB's. */
export const FERRETDB_DATABASE = 'ferretdb';
const STORES = [
  { db: 'temporal', schema: 'temporal' },
  { db: 'temporal_visibility', schema: 'visibility' },
] as const;

/**
 * The server's own ports from the frontend's, in the layout of Temporal's sample configs
 * (frontend 7233, history 7234, matching 7235, worker 7239, HTTP 7243, membership 300 below),
 * so a stack is one frontend port to choose.
 */
export function temporalServerPorts(frontend: number) {
  return {
    frontend: { grpcPort: frontend, membershipPort: frontend - 300, httpPort: frontend + 10 },
    history: { grpcPort: frontend + 1, membershipPort: frontend - 299 },
    matching: { grpcPort: frontend + 2, membershipPort: frontend - 298 },
    worker: { grpcPort: frontend + 6, membershipPort: frontend - 294 },
  };
}

/** What the embedded stack's server needs beyond the defaults, each for a reason. */
const DYNAMIC_CONFIG = {
  // Lucid's search attributes are registered at `dev up` and used by the workflows started right after.
  'system.forceSearchAttributesCacheRefreshOnRead': [{ value: true, constraints: {} }],
  // The namespace registered at `dev up` is polled by its workers within seconds, not the default 10 s later.
  'system.namespaceCacheRefreshInterval': [{ value: '2s', constraints: {} }],
  // Lucid's workflow ids carry a cluster id and a commit; the default 1000 would do, the dev server's 255 keeps them honest.
  'limit.maxIDLength': [{ value: 255, constraints: {} }],
  ...Object.fromEntries(Object.entries(FLEET_DYNAMIC_CONFIG).map(([k, value]) => [k, [{ value, constraints: {} }]])),
};

function sqlStore(db: string, pgPort: number, maxConns: number) {
  return {
    sql: {
      pluginName: 'postgres12',
      databaseName: db,
      connectAddr: `${HOST}:${pgPort}`,
      connectProtocol: 'tcp',
      user: PG_USER,
      password: '',
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  };
}

/** The server's config: SQL persistence and SQL visibility on the stack's PostgreSQL, every service in one process on loopback. */
/**
 * mTLS on the frontend: clients must present a certificate signed by `caFile`. The server's own system worker
 * is such a client, with the server's certificate (which must allow clientAuth) for `localhost`.
 */
export interface TemporalServerTls {
  certFile: string;
  keyFile: string;
  caFile: string;
}

function tlsConfig(t: TemporalServerTls) {
  const client = { serverName: 'localhost', rootCaFiles: [t.caFile] };
  return {
    frontend: { server: { certFile: t.certFile, keyFile: t.keyFile, clientCaFiles: [t.caFile], requireClientAuth: true }, client },
    systemWorker: { certFile: t.certFile, keyFile: t.keyFile, client },
  };
}

function serverConfig(frontendPort: number, pgPort: number, dynamicConfigFile: string, tls: TemporalServerTls | undefined) {
  const ports = temporalServerPorts(frontendPort);
  const rpc = (p: { grpcPort: number; membershipPort: number; httpPort?: number }) => ({ rpc: { ...p, bindOnLocalHost: true } });
  return {
    log: { stdout: true, level: 'warn', format: 'json' },
    persistence: {
      defaultStore: 'default',
      visibilityStore: 'visibility',
      numHistoryShards: 4,
      datastores: { default: sqlStore('temporal', pgPort, 20), visibility: sqlStore('temporal_visibility', pgPort, 5) },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: HOST }, ...(tls && { tls: tlsConfig(tls) }) },
    services: { frontend: rpc(ports.frontend), history: rpc(ports.history), matching: rpc(ports.matching), worker: rpc(ports.worker) },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `${HOST}:${frontendPort}` } },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: dynamicConfigFile, pollInterval: '10s' },
  };
}

/**
 * Creates Temporal's databases and FerretDB's on the stack's PostgreSQL, and brings Temporal's schemas to this
 * server release's once per release (a marker in the data dir), with the release's own schema tool and files.
 */
export async function ensureDatabases(dataDir: string, pgPort: number): Promise<void> {
  const tools = toolPaths();
  const dir = path.join(dataDir, 'temporal-server');
  fs.mkdirSync(dir, { recursive: true });
  const marker = path.join(dir, `schema-${tools.temporalServerVersion}`);
  if (fs.existsSync(marker)) return;
  const sql = (db: string, ...args: string[]) =>
    run(tools.temporalSqlTool, ['--plugin', 'postgres12', '--ep', HOST, '-p', String(pgPort), '-u', PG_USER, '--db', db, ...args]).catch((err: Error & { stderr?: string }) => {
      throw new Error(`temporal-sql-tool ${args[0]} on database ${db}: ${err.stderr?.trim() || err.message}`);
    });
  const fresh = !fs.existsSync(path.join(dir, 'databases-created'));
  for (const { db, schema } of STORES) {
    if (fresh) {
      await sql(db, 'create-database');
      await sql(db, 'setup-schema', '-v', '0.0');
    }
    await sql(db, 'update-schema', '-d', path.join(tools.temporalServerSchema, 'postgresql', 'v12', schema, 'versioned'));
  }
  if (fresh) await sql(FERRETDB_DATABASE, 'create-database');
  fs.writeFileSync(path.join(dir, 'databases-created'), '');
  fs.writeFileSync(marker, '');
}

/** Starts the production Temporal server on the stack's PostgreSQL (ensureDatabases first) unless it runs, and registers the namespace. */
export async function ensureTemporalServer(
  proc: ManagedProcess,
  opts: { dataDir: string; port: number; pgPort: number; namespace: string; tls?: TemporalServerTls },
): Promise<void> {
  const dir = path.join(opts.dataDir, 'temporal-server');
  const address = `${HOST}:${opts.port}`;
  if (!proc.running()) {
    const bin = toolPaths().temporalServer;
    if (!fs.existsSync(bin)) throw new Error(`the Temporal server is not installed at ${bin}: run \`bash scripts/temporal-server.sh\``);
    for (const p of Object.values(temporalServerPorts(opts.port)).flatMap((s) => Object.values(s))) {
      if (await portOpen(HOST, p)) throw new Error(`Temporal server: port ${p} on ${HOST} is already in use (another stack?); choose another with --temporal-port`);
    }
    const dynamicConfigFile = path.join(dir, 'dynamicconfig.yaml');
    fs.writeFileSync(dynamicConfigFile, JSON.stringify(DYNAMIC_CONFIG, null, 2)); // JSON is YAML
    const configFile = path.join(dir, 'config.yaml');
    fs.writeFileSync(configFile, JSON.stringify(serverConfig(opts.port, opts.pgPort, dynamicConfigFile, opts.tls), null, 2));
    proc.start(bin, ['--config-file', configFile, '--allow-no-auth', 'start']);
  }
  const tls = opts.tls && {
    serverNameOverride: 'localhost',
    serverRootCACertificate: fs.readFileSync(opts.tls.caFile),
    clientCertPair: { crt: fs.readFileSync(opts.tls.certFile), key: fs.readFileSync(opts.tls.keyFile) },
  };
  await waitFor('Temporal server', () => registerNamespace({ address, ...(tls && { tls }) }, opts.namespace), 90000, () => `\n${proc.logTail()}`);
}

/**
 * True once the namespace is usable, registering it when the frontend answers without it. Usable is past the
 * servers' namespace cache (what workers and the operator API read), not only in the database (what
 * DescribeNamespace reads): the search attributes are registered right after.
 */
async function registerNamespace(connection: TemporalConnectionOptions, namespace: string): Promise<boolean> {
  const [h, p] = connection.address.split(':');
  if (!(await portOpen(h!, Number(p)))) return false;
  const conn = await Connection.connect({ ...connection, connectTimeout: 2000 }).catch(() => undefined);
  if (!conn) return false;
  try {
    await conn.operatorService.listSearchAttributes({ namespace });
    return true;
  } catch {
    await conn.workflowService
      .registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('3 days') })
      .catch(() => undefined);
    return false;
  } finally {
    await conn.close();
  }
}
