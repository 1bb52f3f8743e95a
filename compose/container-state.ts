import type Docker from 'dockerode';
import type { ServiceStatus } from '../workflows/reconcile-types';
import { LABELS, projectName } from './compose-labels';

export interface ProjectContainer {
  id: string;
  service: string;
  status: ServiceStatus;
}

/** The containers of a cluster's Compose project as the engine sees them now. */
export async function listProjectContainers(docker: Docker, clusterId: string): Promise<ProjectContainer[]> {
  const list = await docker.listContainers({
    all: true,
    filters: { label: [`${LABELS.composeProject}=${projectName(clusterId)}`] },
  });
  return list.map((c) => {
    const service = c.Labels[LABELS.composeService] ?? c.Names[0]?.replace(/^\//, '') ?? c.Id;
    return {
      id: c.Id,
      service,
      status: {
        name: service,
        image: c.Image,
        state: c.State,
        health: healthOf(c.Status),
        commit: c.Labels[LABELS.commit],
        configHash: c.Labels[LABELS.configHash],
      },
    };
  });
}

/** `docker ps` status text carries the health as "(healthy)", "(unhealthy)" or "(health: starting)". */
function healthOf(status: string): ServiceStatus['health'] {
  if (status.includes('(healthy)')) return 'healthy';
  if (status.includes('(unhealthy)')) return 'unhealthy';
  if (status.includes('health: starting')) return 'starting';
  return 'none';
}

/** Running services with their commit and hash labels, the input of label-stable rendering. */
export function runningLabels(services: ServiceStatus[]): Map<string, { commit: string; configHash: string }> {
  const out = new Map<string, { commit: string; configHash: string }>();
  for (const s of services) {
    if (s.state === 'running' && s.commit && s.configHash) out.set(s.name, { commit: s.commit, configHash: s.configHash });
  }
  return out;
}
