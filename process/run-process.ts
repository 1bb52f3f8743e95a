import { spawn } from 'node:child_process';

export interface ProcessRun {
  /** The exit code, or null when a signal ended the process. */
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  /** The child's whole environment: callers choose what it may see, nothing is inherited behind their back. */
  env: NodeJS.ProcessEnv;
  /** Called every 2 s while the process runs, so a long run can keep an activity's heartbeat alive. */
  onTick?: () => void;
  /** Aborting kills the process, so a cancelled activity leaves nothing running behind a retry. */
  signal?: AbortSignal;
}

/**
 * Runs `cmd args` with no stdin and settles when it closes, whatever its exit
 * code: the caller decides what a failure is and which context its error
 * carries. Output is kept as bytes until the end, so a multi-byte character
 * split across two reads comes out whole. Rejects only when the process could
 * not start or was aborted.
 */
export function runProcess(cmd: string, args: string[], opts: RunOptions): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], signal: opts.signal });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = opts.onTick ? setInterval(opts.onTick, 2000) : undefined;
    child.on('error', (e) => {
      clearInterval(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearInterval(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}
