import { ApplicationFailure } from '@temporalio/activity';
import { InvalidInputError } from '../common/input-ids';
import { ConfigError } from '../config/config-error';

/** Failure types the workflows treat as final instead of retrying. */
export const NON_RETRYABLE = { config: 'ConfigError', unknownCommit: 'UnknownCommit', invalidInput: 'InvalidInput' } as const;

/**
 * A refused commit as a non-retryable activity failure; the file, field and
 * reason travel as details so the workflow can report them as data.
 */
export function configFailure(err: ConfigError, context?: string): ApplicationFailure {
  return ApplicationFailure.create({
    message: context ? `${context}: ${err.message}` : err.message,
    type: NON_RETRYABLE.config,
    nonRetryable: true,
    details: [err.toJSON()],
  });
}

/**
 * A worker never trusts its input: runs the checks of `common/input-ids` on an
 * activity's input, and fails the activity for good when one refuses, before
 * any git, docker or file system call.
 */
export function checkedInput<T>(context: string, check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof InvalidInputError) throw ApplicationFailure.nonRetryable(`${context}: ${err.message}`, NON_RETRYABLE.invalidInput);
    throw err;
  }
}
