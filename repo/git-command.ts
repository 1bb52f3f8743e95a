import { runProcess } from '../process/run-process';

/** Variables that change what git runs or where it looks: never inherited, only passed on purpose (`env`). */
const GUARDED_ENV = /^(GIT_|PAGER$|EDITOR$|VISUAL$|SSH_ASKPASS$|PREFIX$)/i;

export interface GitOptions {
  /** The repository (or any directory) git runs in; the process's own by default. */
  cwd?: string;
  /** `-c key=value` settings for this command only. */
  config?: string[];
  /** Added to the inherited environment after the guarded variables are dropped: the only way one reaches git. */
  env?: NodeJS.ProcessEnv;
}

export class GitCommandError extends Error {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(stderr.trim() || `git ${command} exited ${exitCode}`);
    this.name = 'GitCommandError';
  }
}

/**
 * `git <args>`, resolving to its stdout as text once it exits 0; otherwise a
 * GitCommandError carrying its stderr. It resolves when the process closes:
 * simple-git, which this replaced, waited 50 ms more after every command that
 * printed nothing (`fetch --quiet`, `clone --quiet`, `switch --quiet`), a
 * sixth of a reconcile's fetch. Abbreviated options are refused, as
 * simple-git had them, so no value can pass as a shortened option.
 */
export async function git(args: string[], opts: GitOptions = {}): Promise<string> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !GUARDED_ENV.test(k)));
  const env = { ...inherited, ...opts.env, GIT_TEST_DISALLOW_ABBREVIATED_OPTIONS: 'true' };
  const argv = [...(opts.config ?? []).flatMap((c) => ['-c', c]), ...args];
  const run = await runProcess('git', argv, { cwd: opts.cwd, env });
  if (run.code !== 0) throw new GitCommandError(args[0] ?? '', run.code, run.stderr);
  return run.stdout;
}
