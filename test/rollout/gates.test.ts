import type { SampleCluster } from '../../demo/sample-fleet';
import type { RolloutStatus } from '../../workflows/rollout-types';
import { FleetHarness } from '../support/fleet-harness';

const CLUSTERS: SampleCluster[] = [
  { id: 'gt-a', group: 'blockchain', profiles: ['blockchain'], wave: 'canary' },
  { id: 'gt-b', group: 'sessions', profiles: ['sessions'], wave: 'core' },
];
let h: FleetHarness;

beforeAll(async () => {
  h = await FleetHarness.start('gates', CLUSTERS);
  await h.startControlWorker();
  for (const c of CLUSTERS) await h.startClusterWorker(c.id);
});
afterAll(() => h?.close());

const status = (sha: string) => h.client.workflow.getHandle(`rollout-${sha}`).query<RolloutStatus>('status');

async function until(sha: string, check: (s: RolloutStatus) => boolean, timeoutMs = 60000): Promise<RolloutStatus> {
  for (let i = 0; i < timeoutMs / 250; i++) {
    const s = await status(sha).catch(() => undefined);
    if (s && check(s)) return s;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`rollout ${sha} never reached the expected state`);
}

describe('gates between waves', () => {
  it('outside its change window a wave waits visibly on a durable timer, then proceeds when the window opens; soak follows', async () => {
    // A window that opens at the start of a coming UTC minute, at least 10s away.
    const next = new Date(Math.ceil((Date.now() + 10000) / 60000) * 60000);
    const window = `${next.getUTCMinutes()} * * * *`;
    const sha = await h.commit({ version: 'v1', waves: [{ name: 'canary', windows: [window], soakSeconds: 2 }, 'core'] }, 'v1 in a window');
    const handle = await h.startRollout(sha);

    const waiting = await until(sha, (s) => s.state === 'waiting');
    expect(waiting.waitingFor).toBe(`change window of wave canary (opens ${next.toISOString()})`);
    expect(waiting.waves[0]!.state).toBe('waiting');
    expect(await h.containers('gt-a')).toEqual([]);

    // The window may be up to 70s away.
    await until(sha, (s) => s.waves[0]?.state === 'soaking', 90000);
    const done = await handle.result();
    expect(done.state).toBe('succeeded');
    const events = (await h.db.collection('rollout_events').find({ commit: sha }).sort({ seq: 1 }).toArray()).map((e) => ({
      at: e.at as Date,
      message: e.message as string,
    }));
    const reconciling = events.find((e) => e.message.startsWith('wave canary: reconciling'))!;
    expect(reconciling.at.getTime()).toBeGreaterThanOrEqual(next.getTime());
  }, 150000);

  it('a cluster that turns unhealthy during the soak halts the wave; it is reverted and its last good restored', async () => {
    const before = (await h.store.get('gt-a')).lastGoodCommit!;
    const sha = await h.commit({ version: 'v2', waves: [{ name: 'canary', soakSeconds: 6 }, 'core'] }, 'v2 with a soak');
    const handle = await h.startRollout(sha);
    await until(sha, (s) => s.waves[0]?.state === 'soaking');
    const core = (await h.containers('gt-a')).find((c) => c.service === 'blockchain-core')!;
    await h.docker.getContainer(core.id).stop({ t: 1 });

    const end = await handle.result();
    expect(end.state).toBe('halted');
    expect(end.waves[0]!.clusters[0]).toMatchObject({ id: 'gt-a', state: 'reverted', commit: before, healthy: true });
    expect(end.waves[1]!.state).toBe('skipped');
    expect((await h.store.get('gt-a')).lastGoodCommit).toBe(before);
    for (const c of await h.containers('gt-a')) expect(c).toMatchObject({ image: 'lucid-local/demo-app:v1', health: 'healthy' });
  });

  it('a newer rollout supersedes an older one before its next wave', async () => {
    const older = await h.commit({ version: 'v2', waves: [{ name: 'canary', approval: true }, 'core'] }, 'older, waiting for approval');
    const olderHandle = await h.startRollout(older);
    await until(older, (s) => s.waitingFor === 'approval of wave canary');

    const newer = await h.commit({ version: 'v2' }, 'newer');
    const newerHandle = await h.startRollout(newer);
    const olderEnd = await olderHandle.result();
    expect(olderEnd).toMatchObject({ state: 'aborted', reasons: [`superseded by ${newer}`] });
    expect(olderEnd.waves.map((w) => w.state)).toEqual(['skipped', 'skipped']);
    expect((await newerHandle.result()).state).toBe('succeeded');
  });
});
