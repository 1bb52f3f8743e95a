/** Labels Lucid puts on every container it manages; drift detection and status read them back. */
export const LABELS = {
  cluster: 'com.lucid.cluster',
  commit: 'com.lucid.commit',
  configHash: 'com.lucid.config-hash',
  composeProject: 'com.docker.compose.project',
  composeService: 'com.docker.compose.service',
} as const;

export function projectName(clusterId: string): string {
  return `lucid-${clusterId}`;
}
