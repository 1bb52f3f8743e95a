import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { clusterId, optionalCommitRef } from '../../common/input-ids';
import { allHealthy } from '../../common/service-health';
import type { FleetConfig } from '../../config/fleet-config';
// Types only: the workflow modules load the workflow runtime, which a command that starts them by name does not need.
import type { observeCluster } from '../../workflows/observe-cluster';
import type { reconcileCluster } from '../../workflows/reconcile-cluster';
import type { CommitInfo, ReconcileResult, ServiceStatus } from '../../workflows/reconcile-types';
import { RECONCILE_QUEUE, observeWorkflowId, reconcileWorkflowId } from '../../workflows/task-queues';
import type { ConsoleContext } from '../console-context';
import { inventoryRow } from '../inventory-row';
import { CliExit, EXIT, printJson, say } from './cli-output';
import { COMMAND_INDEX } from './command-index';

const OUTCOME_EXIT: Record<ReconcileResult['outcome'], number> = {
  healthy: EXIT.ok,
  rolled_back: EXIT.rolledBack,
  invalid: EXIT.badInput,
  failed: EXIT.failure,
};

export function registerClusterCommands(program: Command, run: (fn: (ctx: ConsoleContext) => Promise<number>, json?: boolean) => void): void {
  const cluster = program.command('cluster').description(COMMAND_INDEX.cluster.description);

  cluster
    .command('reconcile <id>')
    .description('converge a cluster to a commit of the config repo (default: branch head)')
    .option('--commit <sha>', 'commit (full or short sha)')
    .option('--wait', 'wait for the outcome; exit 0 healthy, 3 rolled back, 2 bad input, 1 failure')
    .option('--health-timeout <seconds>', 'how long services may take to become healthy', '120')
    .option('--json', 'JSON on stdout')
    .action((id: string, o: { commit?: string; wait?: boolean; json?: boolean; healthTimeout: string }) =>
      run(async (ctx) => {
        clusterId('<id>', id);
        // The connection comes up while the local gates run (~0.3 s of the operator's wait); a gate refusal still answers first.
        const connecting = ctx.temporal();
        connecting.catch(() => undefined);
        const { commit, fleet } = await ctx.gatedAt(optionalCommitRef('--commit', o.commit));
        requireCluster(fleet, commit, id);
        const healthTimeoutSeconds = Number(o.healthTimeout);
        if (!Number.isInteger(healthTimeoutSeconds) || healthTimeoutSeconds < 1) {
          throw new CliExit(EXIT.badInput, `--health-timeout: '${o.healthTimeout}' is not a whole number of seconds`);
        }
        const client = await connecting;
        const workflowId = reconcileWorkflowId(id, commit.sha);
        const handle = await client.workflow.start<typeof reconcileCluster>('reconcileCluster', {
          taskQueue: RECONCILE_QUEUE,
          workflowId,
          args: [{ clusterId: id, commit: commit.sha, healthTimeoutSeconds }],
          workflowIdConflictPolicy: 'USE_EXISTING',
        });
        say(`reconcile ${id} -> ${commit.sha.slice(0, 12)} (${commit.subject}) workflow ${workflowId}`);
        if (!o.wait) {
          if (o.json) printJson({ workflowId, runId: handle.firstExecutionRunId, commit: commit.sha });
          return EXIT.ok;
        }
        const result = await handle.result();
        if (o.json) printJson({ workflowId, ...result });
        else say(describeResult(result));
        return OUTCOME_EXIT[result.outcome];
      }, o.json),
    );

  cluster
    .command('status <id>')
    .description("a cluster's desired, applied and last good commit, and its services as its worker sees them")
    .option('--json', 'JSON on stdout')
    .action((id: string, o: { json?: boolean }) =>
      run(async (ctx) => {
        // Bad input answers at once, instead of after waiting for a worker that cannot exist.
        clusterId('<id>', id);
        const head = await ctx.fleetAt().catch((err: Error) => {
          // A read-only look at one cluster must still work while the branch head is broken or unreachable.
          say(`lucid: cannot read the inventory at the branch head (${err.message}); asking ${id}'s worker anyway`);
          return undefined;
        });
        if (head) requireCluster(head.fleet, head.commit, id);
        const record = await (await ctx.store()).get(id);
        const services = await observe(ctx, id);
        if (!services) say(`cluster ${id}: unreachable: its worker did not answer (offline, or its egress proxy is down?)`);
        const list = services ?? [];
        const status = {
          id,
          reachable: services !== undefined,
          desiredCommit: record.desiredCommit ?? null,
          appliedCommit: record.appliedCommit ?? null,
          lastGoodCommit: record.lastGoodCommit ?? null,
          healthy: allHealthy(list),
          services: list.map(({ name, image, state, health }) => ({ name, image, state, health })),
        };
        if (o.json) printJson(status);
        else {
          say(`${id}: applied ${short(status.appliedCommit)} desired ${short(status.desiredCommit)} last good ${short(status.lastGoodCommit)} ${status.healthy ? 'healthy' : 'NOT healthy'}`);
          for (const s of status.services) say(`  ${s.name.padEnd(24)} ${s.state.padEnd(10)} ${s.health.padEnd(10)} ${s.image}`);
        }
        return EXIT.ok;
      }, o.json),
    );

  cluster
    .command('list')
    .description('the inventory at the branch head with each cluster’s recorded commits')
    .option('--json', 'JSON on stdout')
    .action((o: { json?: boolean }) =>
      run(async (ctx) => {
        const { fleet } = await ctx.fleetAt();
        const store = await ctx.store();
        const rows = await Promise.all(fleet.inventory.clusters.map(async (c) => inventoryRow(c, await store.get(c.id))));
        if (o.json) printJson(rows);
        else for (const r of rows) say(`${r.id.padEnd(12)} ${r.group.padEnd(14)} wave ${r.wave.padEnd(8)} applied ${short(r.appliedCommit)} last good ${short(r.lastGoodCommit)}`);
        return EXIT.ok;
      }, o.json),
    );
}

function requireCluster(fleet: FleetConfig, commit: CommitInfo, id: string): void {
  if (fleet.clusters.has(id)) return;
  const known = [...fleet.clusters.keys()].join(', ');
  throw new CliExit(EXIT.badInput, `no cluster '${id}' in clusters/clusters.yaml at ${commit.sha} (clusters: ${known})`);
}

/** Asks the cluster's own worker; undefined when no worker picks the task up in time. */
async function observe(ctx: ConsoleContext, id: string): Promise<ServiceStatus[] | undefined> {
  const client = await ctx.temporal();
  try {
    return await client.workflow.execute<typeof observeCluster>('observeCluster', {
      taskQueue: RECONCILE_QUEUE,
      args: [{ clusterId: id }],
      workflowId: observeWorkflowId(id, randomUUID()),
      workflowRunTimeout: '15 seconds',
    });
  } catch {
    return undefined;
  }
}

function short(sha: string | null | undefined): string {
  return sha ? sha.slice(0, 12) : '-';
}

function describeResult(r: ReconcileResult): string {
  switch (r.outcome) {
    case 'healthy':
      return `${r.clusterId}: healthy on ${short(r.commit)}`;
    case 'rolled_back':
      return `${r.clusterId}: ${short(r.commit)} unhealthy (${r.failure?.service ?? '?'}: ${r.failure?.reason}); rolled back to ${short(r.rolledBackTo)}`;
    case 'invalid':
      return `${r.clusterId}: ${short(r.commit)} refused: ${r.rejection?.file}: ${r.rejection?.field}: ${r.rejection?.reason}`;
    case 'failed':
      return `${r.clusterId}: ${short(r.commit)} failed: ${r.failure?.service ?? ''} ${r.failure?.reason ?? ''}`;
  }
}
