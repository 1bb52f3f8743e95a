import { BETA_SERVICE, type Plane } from '../config/service-planes';

/** A running service as the probe sees it: its plane, the ports it serves, its address on each plane network. */
export interface ProbeMember {
  service: string;
  containerId: string;
  plane: Plane;
  expose: number[];
  addresses: Partial<Record<Plane, string>>;
}

export interface ProbeTarget {
  service: string;
  plane: Plane;
  address: string;
  port: number;
  /** Its own plane (and beta, which is on every plane) must answer; any other plane must not. */
  expect: 'reach' | 'blocked';
}

export interface ProbeOutcome {
  from: ProbeMember;
  target: ProbeTarget;
  reached: boolean;
}

/**
 * What one service must and must not reach: every port of its plane's
 * services and of beta at their address on its plane, and no port of another
 * plane's services at any address they have. Beta is not a source: it joins
 * every plane by design. A service sharing another's network namespace has no
 * address of its own, so it is probed from, not to.
 */
export function probeTargets(from: ProbeMember, members: readonly ProbeMember[]): ProbeTarget[] {
  const targets: ProbeTarget[] = [];
  for (const to of members) {
    if (to.service === from.service) continue;
    const own = to.service === BETA_SERVICE || to.plane === from.plane;
    const addresses = own ? [to.addresses[from.plane]] : Object.values(to.addresses);
    for (const address of addresses) {
      if (!address) continue;
      for (const port of to.expose) {
        targets.push({ service: to.service, plane: own ? from.plane : to.plane, address, port, expect: own ? 'reach' : 'blocked' });
      }
    }
  }
  return targets;
}

export function probeSources(members: readonly ProbeMember[]): ProbeMember[] {
  return members.filter((m) => m.service !== BETA_SERVICE);
}

const MAX_FINDINGS = 20;

/** One line per broken expectation, leaks first: they are what the probe is for. A history holds the first 20. */
export function planeFindings(outcomes: readonly ProbeOutcome[]): string[] {
  const leaks = outcomes
    .filter((o) => o.target.expect === 'blocked' && o.reached)
    .map((o) => `plane leak: ${o.from.service} (${o.from.plane}) reached ${o.target.service} (${o.target.plane}) on ${o.target.port}`);
  const missing = outcomes
    .filter((o) => o.target.expect === 'reach' && !o.reached)
    .map((o) => `plane unreachable: ${o.from.service} (${o.from.plane}) cannot reach ${o.target.service} (${o.target.plane}) on ${o.target.port}`);
  const all = [...new Set([...leaks, ...missing])];
  return all.length > MAX_FINDINGS ? [...all.slice(0, MAX_FINDINGS), `and ${all.length - MAX_FINDINGS} more`] : all;
}
