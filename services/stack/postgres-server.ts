import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ManagedProcess, portOpen, waitFor } from './managed-process';

/** The superuser initdb creates; trust auth on loopback only, so the stack's servers need no password file. */
export const PG_USER = 'temporal';
const HOST = '127.0.0.1';

/** Debian's PostgreSQL binaries: on the PATH, else the newest /usr/lib/postgresql/<major>/bin. */
export function postgresBin(name: 'initdb' | 'postgres' | 'pg_isready'): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && fs.existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  const root = '/usr/lib/postgresql';
  const majors = fs.existsSync(root) ? fs.readdirSync(root).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const m of majors) if (fs.existsSync(path.join(root, m, 'bin', name))) return path.join(root, m, 'bin', name);
  throw new Error(`PostgreSQL's ${name} not found (PATH or /usr/lib/postgresql/*/bin): run \`bash scripts/temporal-server.sh\`, which installs Debian's postgresql`);
}

/**
 * PostgreSQL refuses to run as root: as root it runs as the `postgres` user
 * (which then owns its data dir), as anyone else as that user.
 */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error("PostgreSQL: running as root and no 'postgres' user to run it as: install Debian's postgresql");
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** The server user must reach its data dir through the stack's data dir, which may be private (mkdtemp's 0700). */
function openPathFor(dir: string): void {
  for (let d = path.dirname(dir); d !== path.dirname(d); d = path.dirname(d)) {
    const mode = fs.statSync(d).mode;
    if ((mode & 0o001) === 0) fs.chmodSync(d, mode | 0o001);
  }
}

/** Starts the data dir's PostgreSQL unless it runs (initdb on first start); returns its URL base, `postgres://temporal@host:port`. */
export async function ensurePostgres(proc: ManagedProcess, dataDir: string, port: number): Promise<string> {
  const pgData = path.join(dataDir, 'postgres', 'data');
  const socketDir = path.join(dataDir, 'postgres', 'run');
  const user = serverUser();
  if (!proc.running()) {
    if (await portOpen(HOST, port)) throw new Error(`PostgreSQL: port ${port} on ${HOST} is already in use (another stack?); choose another with --postgres-port`);
    fs.mkdirSync(socketDir, { recursive: true });
    if (user) {
      openPathFor(pgData);
      fs.chownSync(path.dirname(pgData), user.uid, user.gid);
      fs.chownSync(socketDir, user.uid, user.gid);
    }
    if (!fs.existsSync(path.join(pgData, 'PG_VERSION'))) {
      execFileSync(postgresBin('initdb'), ['-D', pgData, '-U', PG_USER, '--auth=trust', '--encoding=UTF8', '--no-sync'], {
        ...user,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
    }
    proc.start(
      postgresBin('postgres'),
      ['-D', pgData, '-p', String(port), '-k', socketDir, '-c', `listen_addresses=${HOST}`, '-c', 'max_connections=200'],
      process.env,
      user,
    );
  }
  await waitFor('PostgreSQL', () => accepting(port), 30000, () => `\n${proc.logTail()}`);
  return `postgres://${PG_USER}@${HOST}:${port}`;
}

/** Past recovery and accepting connections: an open port alone may still answer "the database system is starting up". */
function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(postgresBin('pg_isready'), ['-q', '-h', HOST, '-p', String(port), '-U', PG_USER, '-d', 'postgres', '-t', '2'], (err) => resolve(!err));
  });
}
