import type { GateSummary, RolloutPlan } from './rollout-types';

/** A break-glass rollout's plan: the whole fleet in one wave, with no soak, windows or approvals. */
export function breakglassPlan(plan: RolloutPlan): RolloutPlan['waves'] {
  const fleet = plan.waves.flatMap((w) => w.clusters);
  const pickup = Math.min(...plan.waves.map((w) => w.pickupTimeoutSeconds));
  const deadlines = plan.waves.flatMap((w) => (w.reconcileTimeoutSeconds === undefined ? [] : [w.reconcileTimeoutSeconds]));
  return [
    {
      name: 'breakglass',
      clusters: fleet,
      maxUnavailable: 0,
      soakSeconds: 0,
      approval: false,
      windows: [],
      pickupTimeoutSeconds: pickup,
      reconcileTimeoutSeconds: deadlines.length ? Math.max(...deadlines) : undefined,
    },
  ];
}

/**
 * Why break-glass refuses a commit that passed a gate only by the
 * policies/lucid.yaml opt-out (undefined when it passed them all): an
 * emergency skips waves, soak and windows, and must not also run code no gate
 * checked, to every cluster at once.
 */
export function breakglassOptOutRefusal(gates: GateSummary | undefined): string | undefined {
  const optedOut = gates?.insecure ?? [];
  if (optedOut.length === 0) return undefined;
  return `the commit passes ${optedOut.join(', ')} only by the opt-out in policies/lucid.yaml; break-glass needs every gate on`;
}
