import type { ClusterRecord, ReconcileResult } from '../../workflows/reconcile-types';
import type { ClusterStore } from './cluster-store';

/** Activities of the `lucid-control` queue: only the console host holds MongoDB credentials. */
export function createControlActivities(store: ClusterStore) {
  return {
    async loadClusterRecord(input: { clusterId: string }): Promise<ClusterRecord> {
      return store.get(input.clusterId);
    },

    async recordDesired(input: { clusterId: string; commit: string }): Promise<void> {
      await store.setDesired(input.clusterId, input.commit);
    },

    async recordReconcile(input: {
      result: ReconcileResult;
      workflowId: string;
      runId: string;
      startedAt: string;
    }): Promise<void> {
      await store.recordOutcome({
        ...input.result,
        _id: `${input.workflowId}/${input.runId}`,
        workflowId: input.workflowId,
        runId: input.runId,
        startedAt: new Date(input.startedAt),
        endedAt: new Date(),
      });
    },
  };
}

export type ControlActivities = ReturnType<typeof createControlActivities>;
