import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { processStartTime } from '../../repo/process-identity';

/** A background process Lucid started, known by its pid file; `stop` never touches anything else. */
export class ManagedProcess {
  readonly pidFile: string;
  readonly logFile: string;

  constructor(
    readonly name: string,
    readonly stackDir: string,
  ) {
    this.pidFile = path.join(stackDir, `${name}.pid`);
    this.logFile = path.join(stackDir, `${name}.log`);
  }

  pid(): number | undefined {
    if (!fs.existsSync(this.pidFile)) return undefined;
    const pid = Number(fs.readFileSync(this.pidFile, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  }

  /** Alive, and still the process we started (the pid file records its start time). */
  running(): boolean {
    const pid = this.pid();
    if (!pid) return false;
    const recorded = fs.readFileSync(this.pidFile, 'utf8').split('\n')[1];
    const now = processStartTime(pid);
    return now !== undefined && now === recorded;
  }

  /** `user`: run as another user (PostgreSQL refuses root); the log file stays the stack's, opened here. */
  start(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, user?: { uid: number; gid: number }): number {
    fs.mkdirSync(this.stackDir, { recursive: true });
    const log = fs.openSync(this.logFile, 'a');
    const child = spawn(cmd, args, { detached: true, stdio: ['ignore', log, log], env, ...user });
    fs.closeSync(log);
    if (!child.pid) throw new Error(`${this.name}: could not start ${cmd}`);
    child.unref();
    fs.writeFileSync(this.pidFile, `${child.pid}\n${processStartTime(child.pid) ?? ''}\n`);
    return child.pid;
  }

  /** `signal`: PostgreSQL's SIGTERM waits for every client to leave; SIGINT is its fast shutdown. */
  async stop(graceMs = 10000, signal: NodeJS.Signals = 'SIGTERM'): Promise<boolean> {
    const pid = this.pid();
    if (!pid || !this.running()) {
      fs.rmSync(this.pidFile, { force: true });
      return false;
    }
    process.kill(pid, signal);
    const deadline = Date.now() + graceMs;
    while (this.running() && Date.now() < deadline) await sleep(100);
    if (this.running()) process.kill(pid, 'SIGKILL');
    while (this.running()) await sleep(50);
    fs.rmSync(this.pidFile, { force: true });
    return true;
  }

  logTail(lines = 20): string {
    if (!fs.existsSync(this.logFile)) return '';
    return fs.readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function portOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, onFail: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(200);
  }
  throw new Error(`${what} not ready after ${timeoutMs / 1000}s${onFail()}`);
}
