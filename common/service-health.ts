/** A cluster is healthy when it runs something and every service runs and passes its healthcheck (or has none). */
export function allHealthy(services: ReadonlyArray<{ state: string; health: string }>): boolean {
  return services.length > 0 && services.every((s) => s.state === 'running' && (s.health === 'healthy' || s.health === 'none'));
}
