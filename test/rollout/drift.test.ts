import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCompose } from '../../compose/compose-cli';
import { DEMO_APP } from '../../demo/demo-images';
import type { SampleCluster } from '../../demo/sample-fleet';
import { driftSweepScheduleId } from '../../triggers/schedules';
import { CONTROL_QUEUE } from '../../workflows/task-queues';
import type { DriftSweepResult } from '../../workflows/reconcile-types';
import { FleetHarness, type ContainerView } from '../support/fleet-harness';
import { until } from '../support/until';

const CLUSTER: SampleCluster = { id: 'dr-a', group: 'blockchain', profiles: ['blockchain'], wave: 'canary' };
let h: FleetHarness;

beforeAll(async () => {
  h = await FleetHarness.start('drift', [CLUSTER]);
  await h.startControlWorker();
  await h.startClusterWorker(CLUSTER.id);
});
afterAll(() => h?.close());

/**
 * A drift check already under way when the schedule was paused could still act on half a change. Only this
 * cluster's: the run's suites share one namespace, and another suite's schedule may leave a check waiting on a
 * worker that is gone.
 */
async function waitForIdleDriftChecks(): Promise<void> {
  // A sweep compares its clusters itself and starts a check only for one that drifted.
  const query = `((WorkflowType = 'driftCheck' AND LucidCluster = '${CLUSTER.id}') OR WorkflowType = 'driftSweep') AND ExecutionStatus = 'Running'`;
  await until('running drift checks to finish', async () => {
    for await (const _ of h.client.workflow.list({ query })) return false;
    return true;
  });
}

/** A drift Schedule as an earlier version (one per cluster) or a bigger inventory (more shards) left it. */
async function leftoverSchedule(scheduleId: string, workflowType: string, args: unknown[]): Promise<void> {
  await h.client.schedule.create({
    scheduleId,
    spec: { intervals: [{ every: 3600_000 }] },
    action: { type: 'startWorkflow', workflowType, workflowId: scheduleId, taskQueue: CONTROL_QUEUE, args },
  });
}

describe('drift correction by the drift sweeps', () => {
  it('a rollout names the inventory in its sweep and deletes per-cluster and surplus drift Schedules', async () => {
    await leftoverSchedule('drift-dr-gone', 'driftCheck', [{ clusterId: 'dr-gone' }]);
    await leftoverSchedule(driftSweepScheduleId(7), 'driftSweep', [{ clusters: ['dr-gone'] }]);
    const sha = await h.commit({ version: 'v1' }, 'fleet without dr-gone');
    expect((await h.rollout(sha)).state).toBe('succeeded');
    await expect(h.client.schedule.getHandle('drift-dr-gone').describe()).rejects.toThrow(/not found/i);
    await expect(h.client.schedule.getHandle(driftSweepScheduleId(7)).describe()).rejects.toThrow(/not found/i);
    const sweep = await h.client.schedule.getHandle(driftSweepScheduleId(0)).describe();
    expect(sweep.action.type === 'startWorkflow' && sweep.action.args).toEqual([{ clusters: [CLUSTER.id] }]);
  });

  it('puts back a container stopped, one removed and one changed by hand', async () => {
    const sha = await h.commit({ version: 'v1', driftCheckSeconds: 2 }, 'v1, drift checked every 2s');
    expect((await h.rollout(sha)).state).toBe('succeeded');
    const good = await h.containers(CLUSTER.id);
    const byName = (cs: ContainerView[], s: string) => cs.find((c) => c.service === s)!;

    // Tampering happens with the schedule paused, so one drift check sees all three changes at once.
    const schedule = h.client.schedule.getHandle(driftSweepScheduleId(0));
    await schedule.pause('tampering by hand');
    await waitForIdleDriftChecks();
    await h.docker.getContainer(byName(good, 'beta').id).stop({ t: 1 });
    await h.docker.getContainer(byName(good, 'blockchain-core').id).remove({ force: true });
    // "By hand": the ledger recreated from an edited copy of the rendered project, on another image.
    const rendered = JSON.parse(fs.readFileSync(path.join(h.dataDir, 'clusters', CLUSTER.id, 'rendered', `${sha}.json`), 'utf8'));
    rendered.services['blockchain-ledger'].image = `${DEMO_APP}:v2`;
    rendered.services['blockchain-ledger'].labels['com.lucid.config-hash'] = 'edited-by-hand';
    const edited = path.join(h.dataDir, 'edited.json');
    fs.writeFileSync(edited, JSON.stringify(rendered));
    await runCompose(['-p', `lucid-${CLUSTER.id}`, '-f', edited, 'up', '-d', 'blockchain-ledger']);
    expect(byName(await h.containers(CLUSTER.id), 'blockchain-ledger').image).toBe(`${DEMO_APP}:v2`);
    await schedule.unpause();

    await until('the drift schedule to correct the cluster', async () => {
      const now = await h.containers(CLUSTER.id);
      return (
        now.length === 3 &&
        now.every((c) => c.state === 'running' && c.health === 'healthy' && c.image === `${DEMO_APP}:v1`) &&
        now.every((c) => c.configHash === byName(good, c.service).configHash)
      );
    });
    // The drift check records its correction after the reconcile it started ends, a moment after the containers are healthy.
    await until('the correction to be recorded', async () => (await h.store.driftCorrections(CLUSTER.id)).length > 0);
    const corrections = await h.store.driftCorrections(CLUSTER.id);
    const problems = corrections.flatMap((c) => c.problems.map((p) => `${p.service}: ${p.problem}`));
    expect(problems).toEqual(
      expect.arrayContaining([
        'beta: container exited',
        'blockchain-core: missing',
        'blockchain-ledger: config differs from the commit (changed by hand?)',
      ]),
    );
    expect(corrections.every((c) => c.commit === sha && c.corrected === 'healthy')).toBe(true);

    // The sweep that started the check reports the correction when the check ends.
    await until('a sweep to report the correction', async () => {
      for await (const wf of h.client.workflow.list({ query: `WorkflowType = 'driftSweep' AND ExecutionStatus = 'Completed'` })) {
        const swept: DriftSweepResult = await h.client.workflow.getHandle(wf.workflowId, wf.runId).result();
        if (swept.corrected.includes(`${CLUSTER.id} (healthy)`)) return true;
      }
      return false;
    });
  });
});
