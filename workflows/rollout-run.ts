import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { ControlActivities } from '../activities/control/control-activities';
import type { ClusterProgress, RolloutInput, RolloutStatus } from './rollout-types';

export const control = proxyActivities<ControlActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '30s', nonRetryableErrorTypes: ['ConfigError', 'UnknownCommit'] },
});

export const longControl = proxyActivities<ControlActivities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

/** A workflow's lines of its rollout's timeline in MongoDB, keyed so that a retried activity writes each once. */
export class RolloutLog {
  private seq = 0;

  constructor(readonly commit: string) {}

  event(message: string): Promise<void> {
    const { workflowId, runId } = workflowInfo();
    return control.recordRolloutEvent({ workflowId, runId, commit: this.commit, seq: this.seq++, message });
  }
}

/** One rollout's state, shared by the workflow body and the steps it runs. */
export class RolloutRun extends RolloutLog {
  readonly status: RolloutStatus;
  /** Set by abort or supersede: the rollout stops before its next wave. */
  stop?: { state: 'aborted'; reason: string };
  /** Clusters that refused the commit or found it unhealthy: only these can make it bad. */
  private readonly faulted = new Set<string>();

  constructor(readonly input: RolloutInput) {
    super(input.commit);
    const { startTime } = workflowInfo();
    this.status = {
      commit: input.commit,
      state: 'running',
      waves: [],
      reasons: [],
      approvals: [],
      paused: false,
      trigger: input.trigger,
      startedAt: startTime.toISOString(),
    };
  }

  stopWith(reason: string): void {
    this.stop ??= { state: 'aborted', reason };
  }

  blame(clusterId: string): void {
    this.faulted.add(clusterId);
  }

  isCommitsFault(cp: ClusterProgress): boolean {
    return this.faulted.has(cp.id);
  }
}
