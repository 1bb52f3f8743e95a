/** Planes become task queues: whoever polls a queue holds the credentials for its work. */
export const CONTROL_QUEUE = 'lucid-control';

export function clusterQueue(clusterId: string): string {
  return `cluster-${clusterId}`;
}

export function rolloutWorkflowId(commit: string): string {
  return `rollout-${commit}`;
}

export function breakglassWorkflowId(commit: string): string {
  return `breakglass-${commit}`;
}

export function reconcileWorkflowId(clusterId: string, commit: string): string {
  return `reconcile-${clusterId}-${commit}`;
}

export function nodeQueue(nodeId: string): string {
  return `node-${nodeId}`;
}

export function sessionWorkflowId(sessionId: string): string {
  return `session-${sessionId}`;
}
