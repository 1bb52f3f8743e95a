import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SampleCluster } from '../../demo/sample-fleet';
import { stackDir } from '../../services/stack/stack-state';
import { FleetHarness } from '../support/fleet-harness';

const CLUSTER: SampleCluster = { id: 'dd-a', group: 'blockchain', profiles: ['blockchain'], wave: 'canary' };
let h: FleetHarness;

beforeAll(async () => {
  h = await FleetHarness.start('dev-down', [CLUSTER]);
  await h.startControlWorker();
  await h.startClusterWorker(CLUSTER.id);
});
afterAll(() => h?.close());

describe('lucid dev down and the clusters it leaves', () => {
  it("says the clusters' workloads still run and removes them only with --clusters", async () => {
    expect(await h.reconcile(CLUSTER.id, await h.commit({ version: 'v1' }, 'v1'))).toMatchObject({ outcome: 'healthy' });
    const running = (await h.containers(CLUSTER.id)).length;
    expect(running).toBeGreaterThan(0);
    // A stack whose processes are gone already, as `dev up` recorded it: one worker per cluster.
    const dataDir = path.join(h.dataDir, 'stack-data');
    fs.mkdirSync(stackDir(dataDir), { recursive: true });
    fs.writeFileSync(path.join(stackDir(dataDir), 'stack.json'), JSON.stringify({ workers: ['control', `cluster:${CLUSTER.id}`], dataDir }));
    const env = { ...h.env, LUCID_DATA_DIR: dataDir };

    const down = await h.cliWith(env, ['dev', 'down']);
    expect(down.code).toBe(0);
    expect(down.stderr).toContain(`the clusters' workloads still run: ${CLUSTER.id} (${running} container`);
    expect(down.stderr).toContain('lucid dev down --clusters');
    expect((await h.containers(CLUSTER.id)).length).toBe(running);

    const clean = await h.cliWith(env, ['dev', 'down', '--clusters']);
    expect(clean.code).toBe(0);
    expect(clean.stderr).toContain(`removed the containers of ${CLUSTER.id}`);
    expect(await h.containers(CLUSTER.id)).toEqual([]);
  });
});
