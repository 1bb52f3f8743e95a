import { InvalidInputError } from '../../common/input-ids';
import { ConfigError } from '../../config/config-error';
import { UnknownCommitError } from '../../repo/git-mirror';
import { EnvError } from '../../config/parse-env';

/** Exit codes scripts rely on. */
export const EXIT = { ok: 0, failure: 1, badInput: 2, rolledBack: 3 } as const;

export class CliExit extends Error {
  constructor(readonly code: number, message: string, readonly detail?: unknown) {
    super(message);
  }
}

/** JSON to stdout only; everything for humans goes to stderr. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** `1 chunk`, `3 chunks`. */
export function counted(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

export function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Maps an error to its exit code and prints it: JSON on stdout with --json, text on stderr always. */
export function reportError(err: unknown, json: boolean): number {
  let code: number = EXIT.failure;
  let detail: unknown;
  if (err instanceof CliExit) {
    code = err.code;
    detail = err.detail;
  } else if (err instanceof ConfigError) {
    code = EXIT.badInput;
    detail = err.toJSON();
  } else if (err instanceof UnknownCommitError || err instanceof EnvError || err instanceof InvalidInputError) {
    code = EXIT.badInput;
  }
  const message = err instanceof Error ? err.message : String(err);
  say(`lucid: ${message}`);
  if (json) printJson({ error: { message, ...(detail && typeof detail === 'object' ? detail : {}) } });
  return code;
}
