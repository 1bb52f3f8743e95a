/**
 * The compose file as the runtime gate reads it: plain YAML values, as written
 * or as `docker compose config` resolved them, never trusted to have a shape.
 */
export type ComposeServices = Record<string, Record<string, unknown>>;

/** A YAML mapping (not a list, not a scalar, not null). */
export function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
