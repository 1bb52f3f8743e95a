import type Docker from 'dockerode';
import { runCompose } from './compose-cli';
import { LABELS, projectName } from './compose-labels';

/** How many containers each cluster's Compose project has on this engine, running or not; clusters with none are left out. */
export async function clusterContainerCounts(
  docker: Docker,
  clusterIds: readonly string[],
): Promise<Array<{ clusterId: string; containers: number }>> {
  const counts = await Promise.all(
    clusterIds.map(async (clusterId) => ({
      clusterId,
      containers: (await docker.listContainers({ all: true, filters: { label: [`${LABELS.composeProject}=${projectName(clusterId)}`] } })).length,
    })),
  );
  return counts.filter((c) => c.containers > 0);
}

/** Removes a cluster's containers and networks; named volumes (its data) stay. */
export async function removeClusterContainers(clusterId: string): Promise<void> {
  await runCompose(['-p', projectName(clusterId), 'down', '--remove-orphans', '--timeout', '5']);
}
