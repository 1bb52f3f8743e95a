import { ApplicationFailure } from '@temporalio/common';

/**
 * A step run again after a passing failure, as an activity's retry policy would run it: at most `attempts`
 * tries, waiting `firstDelayMs` and then twice as long each time; a non-retryable failure is thrown at once.
 * For the steps of one activity that a workflow used to run as activities of their own (applyCommit's).
 */
export async function retrying<T>(attempts: number, firstDelayMs: number, step: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (err) {
      if (attempt >= attempts || (err instanceof ApplicationFailure && err.nonRetryable)) throw err;
      await new Promise((resolve) => setTimeout(resolve, firstDelayMs * 2 ** (attempt - 1)));
    }
  }
}
