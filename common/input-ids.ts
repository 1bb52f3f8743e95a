/**
 * Commit shas and cluster ids that come from outside (CLI, HTTP, workflow and
 * activity inputs). They end up as git arguments, paths, task queues and
 * Compose project names, so anything else is refused before it gets there:
 * `--output=<file>` given as a commit must never reach git as an option. Pure,
 * so workflow code checks its input with the same rules as the CLI.
 */

/** A full object id. The fleet's repos are SHA-1: the webhook refuses SHA-256 ids too. */
export const FULL_SHA_PATTERN = /^[0-9a-f]{40}$/;
export const FULL_SHA_RULE = 'must be a 40-character lowercase hex commit sha';

const COMMIT_REF_PATTERN = /^[0-9a-f]{4,40}$/i;
const COMMIT_REF_RULE = 'must be a full or abbreviated commit sha (4 to 40 hex digits)';

/** Ids become task queue names and Compose project names, so they stay DNS-label-like. */
export const CLUSTER_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,39}$/;
export const CLUSTER_ID_RULE = 'must be lowercase letters, digits and dashes (max 40), starting alphanumeric';

/** An input that names a field, the value given (JSON-escaped, so control characters show) and the rule it broke. */
export class InvalidInputError extends Error {
  constructor(
    readonly field: string,
    readonly value: string,
    readonly reason: string,
  ) {
    super(`${field}: ${value} ${reason}`);
    this.name = 'InvalidInputError';
  }
}

const MAX_SHOWN = 100;

function shown(value: unknown): string {
  if (typeof value !== 'string') return `${JSON.stringify(value) ?? String(value)} (not a string)`;
  return JSON.stringify(value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value);
}

function checked(field: string, value: unknown, pattern: RegExp, rule: string): string {
  if (typeof value === 'string' && pattern.test(value)) return value;
  throw new InvalidInputError(field, shown(value), `${rule}; refused before it reaches git, a path or a task queue`);
}

/** A commit a user names: a full or abbreviated sha, lowercased. Branch names and other refs are not accepted. */
export function commitRef(field: string, value: unknown): string {
  return checked(field, value, COMMIT_REF_PATTERN, COMMIT_REF_RULE).toLowerCase();
}

/** `commitRef` for an optional CLI value: undefined means the branch head. */
export function optionalCommitRef(field: string, value: string | undefined): string | undefined {
  return value === undefined ? undefined : commitRef(field, value);
}

/** A resolved commit, as workflows and activities pass them: exactly 40 lowercase hex digits. */
export function fullSha(field: string, value: unknown): string {
  return checked(field, value, FULL_SHA_PATTERN, FULL_SHA_RULE);
}

export function clusterId(field: string, value: unknown): string {
  return checked(field, value, CLUSTER_ID_PATTERN, CLUSTER_ID_RULE);
}
