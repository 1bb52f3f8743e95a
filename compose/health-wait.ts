import type Docker from 'dockerode';
import type { HealthReport, PlannedService, ServiceStatus } from '../workflows/reconcile-types';
import { watchProject, type ProjectChanges } from './container-events';
import { listProjectContainers, type ProjectContainer } from './container-state';

type Verdict = { done: false } | { done: true; ok: true } | { done: true; ok: false; reason: string };

type WaitArgs = {
  docker: Docker;
  clusterId: string;
  services: PlannedService[];
  timeoutMs: number;
  pollMs?: number;
  onPoll?: (statuses: ServiceStatus[]) => void;
};

/**
 * Waits until every planned service runs the planned config and, where it has
 * a healthcheck (Compose- or image-defined), reports healthy. Stops at the first
 * service that is unhealthy or exited, or at the deadline, naming the service
 * and its last health log. Looks again as soon as Docker reports that a container
 * of the project started, died or changed health (a 250 ms poll used to add half
 * a poll on average), and every `pollMs` in case an event was missed.
 */
export async function waitHealthy(args: WaitArgs): Promise<HealthReport> {
  // Watching starts before the first look, so a change between a look and the next wait still wakes it.
  const changes = await watchProject(args.docker, args.clusterId, ['health_status', 'start', 'die']);
  try {
    return await untilSettled(args, changes);
  } finally {
    changes.close();
  }
}

async function untilSettled(args: WaitArgs, changes: ProjectChanges): Promise<HealthReport> {
  const { docker, clusterId, services, timeoutMs, pollMs = 1000 } = args;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const containers = await listProjectContainers(docker, clusterId);
    const statuses: ServiceStatus[] = [];
    let pending: PlannedService | undefined;
    for (const planned of services) {
      const c = containers.find((x) => x.service === planned.name && x.status.configHash === planned.configHash);
      statuses.push(c?.status ?? { name: planned.name, image: planned.image, state: 'missing', health: 'missing' });
      const v = verdict(c);
      if (v.done && !v.ok) {
        return {
          healthy: false,
          services: statuses,
          failure: { service: planned.name, reason: v.reason, lastHealthLog: await lastHealthLog(docker, c) },
        };
      }
      if (!v.done) pending ??= planned;
    }
    args.onPoll?.(statuses);
    if (!pending) return { healthy: true, services: statuses };
    if (Date.now() > deadline) {
      const c = containers.find((x) => x.service === pending!.name);
      return {
        healthy: false,
        services: statuses,
        failure: {
          service: pending.name,
          reason: `not healthy after ${Math.round(timeoutMs / 1000)}s (state ${c?.status.state ?? 'missing'}, health ${c?.status.health ?? 'missing'})`,
          lastHealthLog: await lastHealthLog(docker, c),
        },
      };
    }
    await changes.next(Math.min(pollMs, deadline - Date.now() + 1));
  }
}

function verdict(c: ProjectContainer | undefined): Verdict {
  if (!c) return { done: false };
  const { state, health } = c.status;
  if (state === 'exited' || state === 'dead') return { done: true, ok: false, reason: `container ${state}` };
  if (state === 'restarting') return { done: true, ok: false, reason: 'container is restarting (crash loop)' };
  if (state !== 'running') return { done: false };
  if (health === 'unhealthy') return { done: true, ok: false, reason: 'healthcheck reports unhealthy' };
  if (health === 'starting') return { done: false };
  return { done: true, ok: true };
}

async function lastHealthLog(docker: Docker, c: ProjectContainer | undefined): Promise<string | undefined> {
  if (!c) return undefined;
  const info = await docker.getContainer(c.id).inspect();
  const log = info.State.Health?.Log?.at(-1);
  if (log) return `exit ${log.ExitCode}: ${log.Output.trim().slice(-500)}`;
  if (info.State.Status === 'exited') return `exit code ${info.State.ExitCode}${info.State.Error ? `: ${info.State.Error}` : ''}`;
  return undefined;
}
