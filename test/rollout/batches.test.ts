import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { DEMO_APP } from '../../demo/demo-images';
import { sampleFleetFiles, type SampleCluster, type SampleFleetOptions } from '../../demo/sample-fleet';
import { FleetHarness } from '../support/fleet-harness';
import { rolloutWaveWorkflowId, rolloutWorkflowId } from '../../workflows/task-queues';

// One wave of four clusters, one cluster a batch and two batches at once: the wave runs in several batches.
const CLUSTERS: SampleCluster[] = [
  { id: 'bt-a', group: 'blockchain', profiles: ['blockchain'], wave: 'canary' },
  { id: 'bt-b', group: 'sessions', profiles: ['sessions'], wave: 'canary' },
  { id: 'bt-c', group: 'blockchain', profiles: ['blockchain'], wave: 'canary' },
  { id: 'bt-d', group: 'sessions', profiles: ['sessions'], wave: 'canary' },
];
const LIMITS = 'rollout: {batchClusters: 1, batchesAtOnce: 2}\n';
const WAVES = [{ name: 'canary', soakSeconds: 1 }];
let h: FleetHarness;
const waveId = (sha: string) => rolloutWaveWorkflowId(rolloutWorkflowId(sha), 'canary');

beforeAll(async () => {
  h = await FleetHarness.start('batches', CLUSTERS);
  await h.startControlWorker();
  for (const c of CLUSTERS) await h.startClusterWorker(c.id);
});
afterAll(() => h?.close());

/** A commit of the sample fleet over `clusters`, batched by LIMITS. */
function commit(clusters: SampleCluster[], opts: SampleFleetOptions, message: string): Promise<string> {
  const files = { ...sampleFleetFiles({ clusters, waves: WAVES, ...opts }), 'policies/limits.yaml': LIMITS };
  return h.repo.commit(files, message, { replaceAll: true });
}

async function historyOf(workflowId: string): Promise<{ events: number; commands: number; bytes: number }> {
  const history = await h.client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  // Workflow task events depend on how the server batches what arrives; the commands and their outcomes do not.
  const commands = events.filter(
    (e) => !e.workflowTaskScheduledEventAttributes && !e.workflowTaskStartedEventAttributes && !e.workflowTaskCompletedEventAttributes,
  );
  return { events: events.length, commands: commands.length, bytes: historyToJSON(history).length };
}

async function workflowsOf(type: string, prefix: string): Promise<Array<{ id: string; start: number; end: number }>> {
  const out: Array<{ id: string; start: number; end: number }> = [];
  for await (const wf of h.client.workflow.list({ query: `WorkflowType = '${type}' AND WorkflowId STARTS_WITH '${prefix}'` })) {
    out.push({ id: wf.workflowId, start: wf.startTime.getTime(), end: wf.closeTime?.getTime() ?? Infinity });
  }
  return out;
}

const events = async (sha: string) => (await h.db.collection('rollout_events').find({ commit: sha }).sort({ at: 1, seq: 1 }).toArray()).map((e) => String(e.message));

describe('a wave in batches', () => {
  let good: string;

  it("the rollout's history does not grow with the clusters: 2 and 4 clusters at one a batch", async () => {
    const two = await commit(CLUSTERS.slice(0, 2), { version: 'v1' }, 'two clusters on v1');
    expect(await h.rollout(two)).toMatchObject({ state: 'succeeded' });
    good = await commit(CLUSTERS, { version: 'v1' }, 'four clusters on v1');
    const status = await h.rollout(good);
    expect(status.state).toBe('succeeded');
    expect(status.waves[0]).toMatchObject({ name: 'canary', state: 'healthy', total: 4, counts: { healthy: 4 } });
    expect(status.waves[0]!.clusters.map((c) => [c.id, c.state, c.commit])).toEqual(CLUSTERS.map((c) => [c.id, 'healthy', good]));
    for (const c of CLUSTERS) {
      for (const ct of await h.containers(c.id)) expect(ct).toMatchObject({ image: `${DEMO_APP}:v1`, health: 'healthy' });
    }

    const [rollout2, rollout4] = [await historyOf(rolloutWorkflowId(two)), await historyOf(rolloutWorkflowId(good))];
    expect(rollout4.commands).toBe(rollout2.commands);
    const [wave2, wave4] = [await historyOf(waveId(two)), await historyOf(waveId(good))];
    // The wave grows by its batches (one a cluster here): reconcile and recheck.
    expect(wave4.commands).toBeGreaterThan(wave2.commands);
    const batches = await workflowsOf('rolloutBatch', waveId(good));
    expect(batches.map((b) => b.id).sort()).toEqual(
      ['reconcile', 'recheck'].flatMap((step) => [0, 1, 2, 3].map((n) => `${waveId(good)}-${step}-batch-${n}`)).sort(),
    );
    // Never more than batchesAtOnce running at once.
    const overlap = Math.max(...batches.map((b) => batches.filter((o) => o.start <= b.start && o.end > b.start).length));
    expect(overlap).toBeLessThanOrEqual(2);
    const batch = await historyOf(batches[0]!.id);
    process.stdout.write(`${JSON.stringify({ measured: 'history sizes', rollout2, rollout4, wave2, wave4, batch })}\n`);

    // Each cluster's line is in the rollout's timeline, written by its batch.
    const log = await events(good);
    for (const c of CLUSTERS) expect(log).toContain(`${c.id}: healthy`);
    expect(log).toContain('wave canary: healthy (0 of 4 down, budget 0)');
  });

  it('a halt across batches reverts every batch of the wave and marks the commit bad', async () => {
    const bad = await commit(CLUSTERS, { version: 'v2', failing: ['sessions-gateway'] }, 'v2 breaks the sessions gateway');
    const status = await h.rollout(bad);

    expect(status.state).toBe('halted');
    const [canary] = status.waves;
    expect(canary).toMatchObject({ state: 'halted', total: 4, counts: { reverted: 2, rolled_back: 2 } });
    expect(canary!.clusters).toEqual([
      { id: 'bt-a', state: 'reverted', commit: good, healthy: true },
      { id: 'bt-b', state: 'rolled_back', commit: good, healthy: false },
      { id: 'bt-c', state: 'reverted', commit: good, healthy: true },
      { id: 'bt-d', state: 'rolled_back', commit: good, healthy: false },
    ]);
    expect(status.reasons).toEqual(expect.arrayContaining(['wave canary: bt-b rolled_back', 'wave canary: bt-d rolled_back', 'wave canary: 2 cluster(s) down, budget 0']));
    const reverts = await workflowsOf('rolloutBatch', `${waveId(bad)}-revert`);
    expect(reverts).toHaveLength(2);

    for (const c of CLUSTERS) {
      for (const ct of await h.containers(c.id)) expect(ct).toMatchObject({ image: `${DEMO_APP}:v1`, health: 'healthy' });
      expect((await h.store.get(c.id)).lastGoodCommit).toBe(good);
    }
    expect(await h.db.collection('commits').findOne({ _id: bad as never })).toMatchObject({ status: 'bad' });
    const log = await events(bad);
    expect(log).toContain('wave canary: halted; rolling the wave back');
    expect(log).toContain(`bt-a: reverted to ${good.slice(0, 12)} (healthy)`);
    expect(log.find((l) => l.startsWith('bt-b: rolled_back'))).toMatch(/sessions-gateway/);

    // The CLI reads the batches' lines next to the rollout's own history, and shows the wave's counts.
    const history = await h.cli(['rollout', 'history', bad, '--json']);
    expect(history.code).toBe(0);
    const whats = (JSON.parse(history.stdout) as Array<{ what: string }>).map((e) => e.what);
    expect(whats).toContain(`bt-c: reverted to ${good.slice(0, 12)} (healthy)`);
    expect(whats.findIndex((w) => w.startsWith('bt-b: rolled_back'))).toBeLessThan(whats.findIndex((w) => w.startsWith('rollout ended halted')));
    const shown = await h.cli(['rollout', 'status', bad]);
    expect(shown.stderr).toMatch(/wave canary\s+halted \(4 clusters: .*2 reverted/);
    expect(shown.stderr).toMatch(/2 rolled_back/);
  });

  it('an abort stops the batches of the running wave that have not started', async () => {
    const next = await commit(CLUSTERS, { version: 'v2' }, 'v2, all healthy');
    const handle = await h.startRollout(next);
    const wave = h.client.workflow.getHandle(waveId(next));
    for (let i = 0; i < 120 && !(await wave.describe().catch(() => undefined)); i++) await new Promise((r) => setTimeout(r, 250));
    await handle.signal('abort', { by: 'alice', reason: 'stop the batches' });

    const status = await handle.result();
    expect(status).toMatchObject({ state: 'aborted', reasons: ['aborted by alice: stop the batches'] });
    expect(status.waves[0]).toMatchObject({ state: 'stopped', counts: { healthy: 2, pending: 2 } });
    expect(status.waves[0]!.clusters.map((c) => [c.id, c.state])).toEqual([
      ['bt-a', 'healthy'],
      ['bt-b', 'healthy'],
      ['bt-c', 'pending'],
      ['bt-d', 'pending'],
    ]);
    for (const id of ['bt-a', 'bt-b']) for (const ct of await h.containers(id)) expect(ct.image).toBe(`${DEMO_APP}:v2`);
    for (const id of ['bt-c', 'bt-d']) for (const ct of await h.containers(id)) expect(ct.image).toBe(`${DEMO_APP}:v1`);
    expect(await workflowsOf('rolloutBatch', waveId(next))).toHaveLength(2);
    expect(await events(next)).toContain('wave canary: stopped; 2 cluster(s) not started');
  });
});
