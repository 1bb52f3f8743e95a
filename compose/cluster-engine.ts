import type { HealthReport, PlaneProbeReport, PlannedService, ServiceStatus } from '../workflows/reconcile-types';

/** What Compose needs to resolve a cluster's project: the repo's file, the env the gates validated, the profiles. */
export interface ProjectSource {
  composeFile: string;
  envFile: string;
  profiles: string[];
  cwd: string;
}

/**
 * What a cluster's activities need from the container engine of one cluster.
 * Git fetch, the gates and secrets stay outside: they run the same whatever
 * runs the containers. The real one is Docker Compose (compose-engine.ts).
 */
export interface ClusterEngine {
  /** The project as the engine would run it (`docker compose config --format json`), as JSON text. */
  resolveProject(source: ProjectSource): Promise<string>;
  /** Applies a rendered project; a rollback is an `up` of the older commit's render. */
  up(renderedFile: string, opts: { commit: string; onTick: () => void; signal?: AbortSignal }): Promise<void>;
  /** The project's services as the engine sees them now. */
  services(): Promise<ServiceStatus[]>;
  /** Until every planned service runs its planned config and is healthy, or the first one fails, or the deadline. */
  waitHealthy(services: PlannedService[], timeoutMs: number, onPoll: (statuses: ServiceStatus[]) => void): Promise<HealthReport>;
  /**
   * From each service's own network namespace: its plane answers and no other does. A port that does not answer
   * yet is tried again for a few seconds, unless `waitOutMisses` is false (one try, while health is still awaited).
   */
  probePlanes(opts?: { waitOutMisses?: boolean }): Promise<PlaneProbeReport>;
  /** Removes the project with its volumes. */
  down(): Promise<void>;
}
