import { spawn } from 'node:child_process';

export interface ComposeRun {
  stdout: string;
  stderr: string;
}

export class ComposeCommandError extends Error {
  constructor(
    readonly args: string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`docker compose ${args.join(' ')} exited ${exitCode}: ${stderr.trim().split('\n').slice(-5).join(' | ')}`);
    this.name = 'ComposeCommandError';
  }
}

/**
 * What Compose may read of the worker's environment: how to reach the engine
 * and find its plugins, nothing else. Compose interpolates `${VAR}` from the
 * process environment before the cluster's .env, so a commit could otherwise
 * read the worker's own secrets (its age identity, its keys) into a container,
 * or COMPOSE_* variables could change which files and profiles it uses.
 */
const PASSED_ENV = /^(PATH|HOME|USER|TMPDIR|XDG_RUNTIME_DIR|DOCKER_HOST|DOCKER_CONFIG|DOCKER_CONTEXT|DOCKER_CERT_PATH|DOCKER_TLS_VERIFY)$/;

export function composeEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([key]) => PASSED_ENV.test(key)));
}

/**
 * Runs the Compose v2 CLI. `LUCID_COMPOSE` may name a standalone compose
 * binary; by default the `docker compose` plugin installed by bootstrap is used.
 * `onTick` lets a long `up` keep its activity heartbeat alive.
 */
export function runCompose(
  args: string[],
  opts: { cwd?: string; onTick?: () => void; signal?: AbortSignal } = {},
): Promise<ComposeRun> {
  const standalone = process.env.LUCID_COMPOSE;
  const [cmd, pre] = standalone ? [standalone, []] : ['docker', ['compose']];
  return new Promise((resolve, reject) => {
    // With a signal, a cancelled or timed-out activity kills its compose run instead of leaving it behind a retry.
    const child = spawn(cmd, [...pre, ...args], { cwd: opts.cwd, env: composeEnv(), stdio: ['ignore', 'pipe', 'pipe'], signal: opts.signal });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = opts.onTick ? setInterval(opts.onTick, 2000) : undefined;
    child.on('error', (err) => {
      clearInterval(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearInterval(timer);
      if (code === 0) resolve({ stdout, stderr });
      else reject(new ComposeCommandError(args, code, stderr));
    });
  });
}
