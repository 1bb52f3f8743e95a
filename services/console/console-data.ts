import type { PayloadCodec } from '@temporalio/common';
import { allHealthy } from '../../common/service-health';
import type { rollout } from '../../workflows';
import { approveUpdate, operatorSignals, statusQuery } from '../../workflows/rollout-messages';
import type { Approval, RolloutStatus } from '../../workflows/rollout-types';
import { clusterQueue, rolloutWorkflowId } from '../../workflows/task-queues';
import type { ConsoleContext } from '../console-context';
import { inventoryRow, type InventoryRow } from '../inventory-row';
import { queueHasWorker } from '../queue-workers';
import { rolloutHistory, type TimelineEntry } from '../rollout-timeline';

/** The typed shapes of the console's JSON API (`/api/...`): what its pages render and what the CLI could read. */
export interface FleetCluster extends InventoryRow {
  /** From the cluster's last recorded reconcile; `unknown` before its first. */
  health: 'healthy' | 'unhealthy' | 'unknown';
  lastOutcome: { outcome: string; commit: string; at: string } | null;
  services: Array<{ name: string; image: string; state: string; health: string }>;
  /** A live worker polls the cluster's own task queue. */
  reachable: boolean;
  lastDriftCorrection: string | null;
}

export interface FleetView {
  /** The branch head the inventory was read at. */
  commit: { sha: string; subject: string };
  labelFilter: Record<string, string>;
  waves: Array<{ name: string; groups: Array<{ name: string; clusters: FleetCluster[] }> }>;
}

export interface RolloutDetail {
  status: RolloutStatus;
  workflowId: string;
  timeline: TimelineEntry[];
  /** The rollout's workflow in the Temporal UI, when the stack has one. */
  temporalUi: string | null;
}

export type OperatorSignal = keyof typeof operatorSignals;

const RECENT_ROLLOUTS = 30;

/** What the console reads and does, over the same Temporal, MongoDB and config repo the CLI uses. */
export class ConsoleData {
  constructor(
    private readonly ctx: ConsoleContext,
    private readonly opts: { codecs: PayloadCodec[]; temporalUi?: string },
  ) {}

  async fleet(labelFilter: Record<string, string>): Promise<FleetView> {
    const { commit, fleet } = await this.ctx.fleetAt();
    const [store, client] = [await this.ctx.store(), await this.ctx.temporal()];
    const wanted = fleet.inventory.clusters.filter((c) => Object.entries(labelFilter).every(([k, v]) => c.labels[k] === v));
    const clusters = await Promise.all(
      wanted.map(async (c): Promise<FleetCluster> => {
        const [record, [last], drift, reachable] = await Promise.all([
          store.get(c.id),
          store.outcomes(c.id, 1),
          store.driftCorrections(c.id),
          queueHasWorker(client, clusterQueue(c.id)),
        ]);
        const services = (last?.services ?? []).map(({ name, image, state, health }) => ({ name, image, state, health }));
        return {
          ...inventoryRow(c, record),
          health: last ? (last.outcome === 'healthy' && allHealthy(services) ? 'healthy' : 'unhealthy') : 'unknown',
          lastOutcome: last ? { outcome: last.outcome, commit: last.commit, at: last.endedAt.toISOString() } : null,
          services,
          reachable,
          lastDriftCorrection: drift.at(-1)?.at.toISOString() ?? null,
        };
      }),
    );
    const waves = fleet.inventory.waves.map((w) => {
      const inWave = clusters.filter((c) => c.wave === w.name);
      const groups = [...new Set(inWave.map((c) => c.group))].sort().map((name) => ({ name, clusters: inWave.filter((c) => c.group === name) }));
      return { name: w.name, groups };
    });
    return { commit: { sha: commit.sha, subject: commit.subject }, labelFilter, waves };
  }

  async rollouts(): Promise<RolloutStatus[]> {
    return (await this.ctx.rollouts()).recent(RECENT_ROLLOUTS);
  }

  /** Live from the workflow while it answers queries, else as last recorded; undefined when there is no such rollout. */
  async rollout(commit: string): Promise<RolloutDetail | undefined> {
    const client = await this.ctx.temporal();
    const workflowId = rolloutWorkflowId(commit);
    const status =
      (await client.workflow
        .getHandle<typeof rollout>(workflowId)
        .query(statusQuery)
        .catch(() => undefined)) ?? (await (await this.ctx.rollouts()).get(commit));
    if (!status) return undefined;
    const timeline = await rolloutHistory(client, await this.ctx.rollouts(), commit, this.opts.codecs).catch(() => []);
    const temporalUi = this.opts.temporalUi ? `${this.opts.temporalUi}/namespaces/${this.ctx.env.LUCID_NAMESPACE}/workflows/${workflowId}` : null;
    return { status, workflowId, timeline, temporalUi };
  }

  /** A pause, resume or abort signal carrying who sent it, so it shows in the rollout's history and timeline. */
  async signal(commit: string, name: OperatorSignal, by: string, reason?: string): Promise<void> {
    const handle = (await this.ctx.temporal()).workflow.getHandle(rolloutWorkflowId(commit));
    await handle.signal(operatorSignals[name], { by, reason });
  }

  /** The approve update: the workflow refuses it (no wave waiting, say) with a reason the page shows. */
  async approve(commit: string, by: string, wave?: string): Promise<Approval> {
    const handle = (await this.ctx.temporal()).workflow.getHandle<typeof rollout>(rolloutWorkflowId(commit));
    return handle.executeUpdate(approveUpdate, { args: [{ wave, by }] });
  }
}
