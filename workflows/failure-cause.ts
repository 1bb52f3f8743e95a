/** The innermost message of a Temporal failure chain (ActivityFailure -> ApplicationFailure -> ...): the one an operator can act on. */
export function rootCause(err: unknown): string {
  let cur: unknown = err;
  while (cur instanceof Error && cur.cause) cur = cur.cause;
  return cur instanceof Error ? cur.message : String(cur);
}
