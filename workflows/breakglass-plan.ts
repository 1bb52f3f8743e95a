import type { RolloutPlan } from './rollout-types';

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
