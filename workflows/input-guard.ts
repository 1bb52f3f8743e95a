import { ApplicationFailure, patched } from '@temporalio/workflow';
import { InvalidInputError } from '../common/input-ids';

/**
 * Checks a workflow's input before its first command. A malformed sha or
 * cluster id (anyone with a Temporal client can start a workflow) fails the
 * workflow for good, naming the field: it is not a commit, so there is no
 * outcome to record for a cluster, nothing to mark bad and nothing to retry.
 */
export function refuseMalformedInput(workflow: string, check: () => void): void {
  try {
    check();
  } catch (err) {
    if (!(err instanceof InvalidInputError)) throw err;
    // Histories recorded before inputs were checked replay as they ran; their activities refuse the input now.
    if (!patched('refuse-malformed-input')) return;
    throw ApplicationFailure.nonRetryable(`${workflow}: ${err.message}`, 'InvalidInput');
  }
}
