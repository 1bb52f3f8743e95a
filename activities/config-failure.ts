import { ApplicationFailure } from '@temporalio/activity';
import { ConfigError } from '../config/config-error';

/** Failure types the workflows treat as final instead of retrying. */
export const NON_RETRYABLE = { config: 'ConfigError', unknownCommit: 'UnknownCommit' } as const;

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
