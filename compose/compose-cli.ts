import { runProcess } from '../process/run-process';

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
 */
export async function runCompose(
  args: string[],
  opts: { cwd?: string; onTick?: () => void; signal?: AbortSignal } = {},
): Promise<ComposeRun> {
  const standalone = process.env.LUCID_COMPOSE;
  const [cmd, pre] = standalone ? [standalone, []] : ['docker', ['compose']];
  const run = await runProcess(cmd, [...pre, ...args], { cwd: opts.cwd, env: composeEnv(), onTick: opts.onTick, signal: opts.signal });
  if (run.code !== 0) throw new ComposeCommandError(args, run.code, run.stderr);
  return { stdout: run.stdout, stderr: run.stderr };
}
