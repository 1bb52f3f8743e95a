import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCompose } from '../../compose/compose-cli';
import { DEMO_APP } from '../../demo/demo-images';
import type { SampleCluster } from '../../demo/sample-fleet';
import { driftScheduleId, ensureDriftSchedule } from '../../triggers/schedules';
import { FleetHarness, type ContainerView } from '../support/fleet-harness';

const CLUSTER: SampleCluster = { id: 'dr-a', group: 'blockchain', profiles: ['blockchain'], wave: 'canary' };
let h: FleetHarness;

beforeAll(async () => {
  h = await FleetHarness.start('drift', [CLUSTER]);
  await h.startControlWorker();
  await h.startClusterWorker(CLUSTER.id);
});
afterAll(() => h?.close());

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * A drift check already under way when the schedule was paused could still act on half a change. Only this
 * cluster's: the run's suites share one namespace, and another suite's schedule may leave a check waiting on a
 * worker that is gone.
 */
async function waitForIdleDriftChecks(): Promise<void> {
  const query = `TemporalScheduledById = '${driftScheduleId(CLUSTER.id)}' AND ExecutionStatus = 'Running'`;
  await until('running drift checks to finish', async () => {
    for await (const _ of h.client.workflow.list({ query })) return false;
    return true;
  });
}

describe('drift correction by the per-cluster Schedule', () => {
  it('a rollout deletes the drift Schedule of a cluster that left the inventory', async () => {
    await ensureDriftSchedule(h.client, 'dr-gone', 3600);
    const sha = await h.commit({ version: 'v1' }, 'fleet without dr-gone');
    expect((await h.rollout(sha)).state).toBe('succeeded');
    await expect(h.client.schedule.getHandle(driftScheduleId('dr-gone')).describe()).rejects.toThrow(/not found/i);
    expect((await h.client.schedule.getHandle(driftScheduleId(CLUSTER.id)).describe()).scheduleId).toBe(driftScheduleId(CLUSTER.id));
  });

  it('puts back a container stopped, one removed and one changed by hand', async () => {
    const sha = await h.commit({ version: 'v1', driftCheckSeconds: 2 }, 'v1, drift checked every 2s');
    expect((await h.rollout(sha)).state).toBe('succeeded');
    const good = await h.containers(CLUSTER.id);
    const byName = (cs: ContainerView[], s: string) => cs.find((c) => c.service === s)!;

    // Tampering happens with the schedule paused, so one drift check sees all three changes at once.
    const schedule = h.client.schedule.getHandle(driftScheduleId(CLUSTER.id));
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
  });
});
