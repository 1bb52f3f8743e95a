import type { DriftProblem, PlannedService, ServiceStatus } from '../workflows/reconcile-types';

/** Differences between what a commit renders to and what runs: missing, stopped, or changed by hand. */
export function detectDrift(planned: PlannedService[], running: ServiceStatus[]): DriftProblem[] {
  const problems: DriftProblem[] = [];
  for (const p of planned) {
    const c = running.find((r) => r.name === p.name);
    if (!c) problems.push({ service: p.name, problem: 'missing' });
    else if (c.state !== 'running') problems.push({ service: p.name, problem: `container ${c.state}` });
    else if (c.configHash !== p.configHash) problems.push({ service: p.name, problem: 'config differs from the commit (changed by hand?)' });
  }
  for (const r of running) {
    if (!planned.some((p) => p.name === r.name)) problems.push({ service: r.name, problem: 'not in the commit (orphan)' });
  }
  return problems;
}
