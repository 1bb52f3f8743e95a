import { ConfigError } from './config-error';
import { CONFIG_PATHS } from './config-files';

/** SPEC-3's planes: a service talks only to services of its own plane, through its plane's network. */
export const PLANES = ['ops', 'chain', 'wallet'] as const;
export type Plane = (typeof PLANES)[number];

/** The sidecar that joins every plane and routes between clusters at L7 (SPEC-3 M6); it bridges nothing itself. */
export const BETA_SERVICE = 'beta';

/**
 * The services the wallet network holds unless the runtime policy pairs
 * others (SPEC-3 M8: only the TRON node speaks to TRON, and only walletd to it).
 */
export const DEFAULT_WALLET_PLANE: readonly string[] = ['walletd', 'tron-node'];

/** The labels beta reads (SPEC-3 "Addressing & discovery"), on every service. */
export const PLANE_LABELS = {
  plane: 'com.lucid.plane',
  service: 'com.lucid.service',
  /** The TCP ports the service serves on its plane, comma-separated ("8080,9090"); "" for none. */
  expose: 'com.lucid.expose',
} as const;

export interface ServicePlane {
  plane: Plane;
  expose: number[];
}

/** Compose takes labels as a map or as a list of `key=value`. */
export function labelMap(labels: Record<string, unknown> | string[] | undefined): Record<string, string> {
  if (Array.isArray(labels)) {
    return Object.fromEntries(labels.map((l) => {
      const eq = l.indexOf('=');
      return eq < 0 ? [l, ''] : [l.slice(0, eq), l.slice(eq + 1)];
    }));
  }
  return Object.fromEntries(Object.entries(labels ?? {}).map(([k, v]) => [k, v === null || v === undefined ? '' : String(v)]));
}

/** The TCP ports of a com.lucid.expose value, or undefined when it is not a list of ports. */
export function parseExpose(value: string): number[] | undefined {
  if (value.trim() === '') return [];
  const ports = value.split(',').map((p) => p.trim());
  if (!ports.every((p) => /^[1-9][0-9]{0,4}$/.test(p) && Number(p) <= 65535)) return undefined;
  const out = ports.map(Number);
  return new Set(out).size === out.length ? out : undefined;
}

/**
 * A service's plane and the ports it serves there, from its labels; refuses
 * what would leave it planeless or put it on the wallet network unpaired.
 * Pure: `walletPlane` is the runtime policy's pair list.
 */
export function servicePlane(name: string, labels: Record<string, string>, walletPlane: readonly string[] = DEFAULT_WALLET_PLANE): ServicePlane {
  const refuse = (label: string, reason: string) => new ConfigError(CONFIG_PATHS.compose, `services.${name}.labels.${label}`, reason);
  const plane = labels[PLANE_LABELS.plane];
  if (plane === undefined) {
    throw refuse(PLANE_LABELS.plane, `missing: every service names its plane (${PLANES.join(', ')}); Lucid puts it on that plane's network`);
  }
  if (!(PLANES as readonly string[]).includes(plane)) throw refuse(PLANE_LABELS.plane, `unknown plane '${plane}' (known: ${PLANES.join(', ')})`);
  if (plane === 'wallet' && name !== BETA_SERVICE && !walletPlane.includes(name)) {
    throw refuse(
      PLANE_LABELS.plane,
      `the wallet plane holds only the services the runtime policy pairs (${walletPlane.join(', ') || 'none'}), not '${name}'`,
    );
  }
  if (labels[PLANE_LABELS.service] !== name) {
    throw refuse(PLANE_LABELS.service, `must be the service's own name '${name}' (beta resolves beta://${name}@${plane} by it)`);
  }
  const exposeValue = labels[PLANE_LABELS.expose];
  if (exposeValue === undefined) throw refuse(PLANE_LABELS.expose, 'missing: the TCP ports the service serves on its plane, e.g. "8080,9090", or "" for none');
  const expose = parseExpose(exposeValue);
  if (!expose) throw refuse(PLANE_LABELS.expose, `'${exposeValue}' is not a comma-separated list of distinct TCP ports (1-65535)`);
  return { plane: plane as Plane, expose };
}
