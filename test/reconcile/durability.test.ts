import { DEMO_APP } from '../../demo/demo-images';
import type { SampleCluster } from '../../demo/sample-fleet';
import { FleetHarness } from '../support/fleet-harness';

const KILL: SampleCluster = { id: 'kd-bc', group: 'blockchain', profiles: ['blockchain'], wave: 'canary' };
const RESTART: SampleCluster = { id: 'tr-bc', group: 'blockchain', profiles: ['blockchain'], wave: 'canary' };
let h: FleetHarness;

beforeAll(async () => {
  h = await FleetHarness.start('durability', [KILL, RESTART]);
  await h.startControlWorker();
});
afterAll(() => h?.close());

/** Resolves once a worker runs the health wait (it heartbeats) while the new commit's core is still starting. */
async function untilMidHealthWait(workflowId: string, clusterId: string, commit: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const { raw } = await h.client.workflow.getHandle(workflowId).describe();
    const waiting = raw.pendingActivities?.find((a) => a.activityType?.name === 'waitHealthy' && a.lastHeartbeatTime);
    const core = (await h.containers(clusterId)).find((c) => c.service === 'blockchain-core');
    if (waiting && core?.commit === commit && core.health === 'starting') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${clusterId} never reached the health wait of ${commit}`);
}

async function activityEvents(workflowId: string, activity: string) {
  const history = await h.client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const scheduled = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activity);
  const ids = new Set(scheduled.map((e) => String(e.eventId)));
  const started = events.filter((e) => ids.has(String(e.activityTaskStartedEventAttributes?.scheduledEventId)));
  return { scheduled: scheduled.length, attempts: started.map((e) => e.activityTaskStartedEventAttributes!.attempt ?? 0) };
}

describe('durability of reconcileCluster', () => {
  it('completes after kill -9 of the cluster worker in the middle of a reconcile, without redoing finished steps', async () => {
    let worker = h.spawnWorker('cluster', KILL.id);
    const v1 = await h.commit({ version: 'v1' }, 'v1');
    expect((await h.reconcile(KILL.id, v1)).outcome).toBe('healthy');

    const v2 = await h.commit({ version: 'v2', slow: { 'blockchain-core': 6 } }, 'v2, slow to start');
    const handle = await h.startReconcile(KILL.id, v2);
    await untilMidHealthWait(handle.workflowId, KILL.id, v2);
    worker.kill('SIGKILL');
    await new Promise((r) => worker.once('exit', r));
    worker = h.spawnWorker('cluster', KILL.id);

    const result = await handle.result();
    expect(result).toMatchObject({ outcome: 'healthy', appliedCommit: v2 });
    const containers = await h.containers(KILL.id);
    expect(containers.map((c) => c.service)).toEqual(['beta', 'blockchain-core', 'blockchain-ledger']);
    for (const c of containers) expect(c).toMatchObject({ image: `${DEMO_APP}:v2`, health: 'healthy', commit: v2 });

    // `up` had finished before the kill: it ran once. The health wait was retried on the new worker.
    expect((await activityEvents(handle.workflowId, 'composeUp')).scheduled).toBe(1);
    const wait = await activityEvents(handle.workflowId, 'waitHealthy');
    expect(wait.scheduled).toBe(1);
    expect(Math.max(...wait.attempts)).toBeGreaterThanOrEqual(2);
    const docs = await h.db.collection('reconciles').find({ workflowId: handle.workflowId }).toArray();
    expect(docs).toHaveLength(1);
    worker.kill('SIGTERM');
  });

  it('completes when the Temporal server is stopped and restarted in the middle of a reconcile', async () => {
    await h.startClusterWorker(RESTART.id);
    const v1 = await h.commit({ version: 'v1' }, 'v1');
    expect((await h.reconcile(RESTART.id, v1)).outcome).toBe('healthy');

    const v2 = await h.commit({ version: 'v2', slow: { 'blockchain-core': 6 } }, 'v2, slow to start');
    const handle = await h.startReconcile(RESTART.id, v2);
    await untilMidHealthWait(handle.workflowId, RESTART.id, v2);

    await h.restartTemporal();

    const result = await handle.result();
    expect(result).toMatchObject({ outcome: 'healthy', appliedCommit: v2 });
    for (const c of await h.containers(RESTART.id)) expect(c).toMatchObject({ image: `${DEMO_APP}:v2`, health: 'healthy' });
    expect(await h.store.get(RESTART.id)).toMatchObject({ appliedCommit: v2, lastGoodCommit: v2 });
  });
});
