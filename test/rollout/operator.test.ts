import type { SampleCluster } from '../../demo/sample-fleet';
import { FleetHarness } from '../support/fleet-harness';

const CLUSTERS: SampleCluster[] = [
  { id: 'op-a', group: 'blockchain', profiles: ['blockchain'], wave: 'canary' },
  { id: 'op-b', group: 'sessions', profiles: ['sessions'], wave: 'core' },
];
const APPROVE_CANARY = [{ name: 'canary', approval: true }, 'core'];
let h: FleetHarness;

type Status = { commit: string; state: string; waves: Array<{ name: string; state: string; clusters: unknown[] }>; reasons: string[] };

async function lucid<T = unknown>(args: string[], code = 0): Promise<T> {
  const out = await h.cli(args);
  if (out.code !== code) throw new Error(`lucid ${args.join(' ')} exited ${out.code}, wanted ${code}: ${out.stderr}`);
  return (out.stdout.trim().startsWith('{') || out.stdout.trim().startsWith('[') ? JSON.parse(out.stdout) : out.stdout) as T;
}

beforeAll(async () => {
  h = await FleetHarness.start('operator', CLUSTERS);
  await h.startControlWorker();
  for (const c of CLUSTERS) await h.startClusterWorker(c.id);
});
afterAll(() => h?.close());

describe('operating rollouts from the CLI', () => {
  let first: string;

  it('rollout start --wait --json rolls the branch head out and prints the documented shape', async () => {
    first = await h.commit({ version: 'v1' }, 'fleet on v1');
    const status = await lucid<Status>(['rollout', 'start', '--wait', '--json']);
    // The test fleet opts out of the gates it does not configure, so the status carries the opt-out's warnings.
    expect(Object.keys(status).sort()).toEqual(['commit', 'insecure', 'reasons', 'state', 'warnings', 'waves']);
    expect(status).toMatchObject({ commit: first, state: 'succeeded', reasons: [], insecure: ['unsignedCommits', 'unpinnedImages'] });
    expect(status.waves).toEqual([
      { name: 'canary', state: 'healthy', clusters: [{ id: 'op-a', state: 'healthy', commit: first, healthy: true }] },
      { name: 'core', state: 'healthy', clusters: [{ id: 'op-b', state: 'healthy', commit: first, healthy: true }] },
    ]);
    expect(await lucid<Status>(['rollout', 'status', first.slice(0, 8), '--json'])).toEqual(status);
  });

  it('rollout history reads the workflow history as a timeline', async () => {
    const text = await lucid<string>(['rollout', 'history', first]);
    const lines = text.trim().split('\n').map((l) => l.replace(/^\S+\s+/, ''));
    expect(lines[0]).toBe('rollout requested (trigger cli by ' + (process.env.LUCID_OPERATOR ?? require('os').userInfo().username) + ')');
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^rollout of [0-9a-f]{12} "fleet on v1" by Lucid Operator/),
        'wave canary: reconciling op-a',
        'op-a: healthy',
        'wave core: reconciling op-b',
        'op-b: healthy',
        'rollout succeeded',
        'rollout ended succeeded',
      ]),
    );
  });

  it('a wave waiting for approval survives restarts of the control worker and of Temporal, then goes on when approved', async () => {
    const sha = await h.commit({ version: 'v2', waves: APPROVE_CANARY }, 'v2 behind approval');
    await lucid(['rollout', 'start', '--commit', sha]);
    await h.untilRolloutState(sha, 'waiting', /approval of wave canary/);

    await h.stopControlWorker();
    await h.startControlWorker();
    await h.restartTemporal();
    await h.untilRolloutState(sha, 'waiting', /approval of wave canary/);
    expect((await h.containers('op-a'))[0]!.image).toBe('lucid-local/demo-app:v1');

    const approval = await lucid<{ wave: string; by: string }>(['rollout', 'approve', sha, '--by', 'alice', '--json']);
    expect(approval).toMatchObject({ wave: 'canary', by: 'alice' });
    const status = await h.client.workflow.getHandle(`rollout-${sha}`).result();
    expect(status).toMatchObject({ state: 'succeeded', approvals: [{ wave: 'canary', by: 'alice' }] });
    expect(await lucid<string>(['rollout', 'history', sha])).toMatch(/approved wave canary by alice/);
  });

  it('a paused rollout holds even when approved, and resumes', async () => {
    const sha = await h.commit({ version: 'v1', waves: APPROVE_CANARY }, 'back to v1, paused on the way');
    await lucid(['rollout', 'start', '--commit', sha]);
    await h.untilRolloutState(sha, 'waiting', /approval/);
    await lucid(['rollout', 'pause', sha, '--by', 'bob']);
    await lucid(['rollout', 'approve', sha, '--by', 'alice']);
    await h.untilRolloutState(sha, 'waiting', /resume/);
    await lucid(['rollout', 'resume', sha, '--by', 'bob']);
    expect((await h.client.workflow.getHandle(`rollout-${sha}`).result()).state).toBe('succeeded');
    const history = await lucid<string>(['rollout', 'history', sha]);
    expect(history).toMatch(/pause requested by bob/);
    expect(history).toMatch(/resume requested by bob/);
  });

  it('abort stops a rollout before its next wave; approving an aborted rollout is refused', async () => {
    const sha = await h.commit({ version: 'v2', waves: APPROVE_CANARY }, 'v2 that gets aborted');
    await lucid(['rollout', 'start', '--commit', sha]);
    await h.untilRolloutState(sha, 'waiting', /approval/);
    await lucid(['rollout', 'abort', sha, '--by', 'carol', '--reason', 'freeze']);
    const status = await lucid<Status>(['rollout', 'start', '--commit', sha, '--wait', '--json'], 1);
    expect(status).toMatchObject({ state: 'aborted', reasons: ['aborted by carol: freeze'] });
    expect(status.waves.map((w) => w.state)).toEqual(['skipped', 'skipped']);
    expect((await h.containers('op-a'))[0]!.image).toBe('lucid-local/demo-app:v1');
    const late = await h.cli(['rollout', 'approve', sha, '--by', 'alice']);
    expect(late.code).toBe(2);
    expect(late.stderr).toMatch(/approval refused/);
  });

  it('exit 3 when halted, exit 2 for a commit whose config is invalid', async () => {
    const bad = await h.commit({ version: 'v2', failing: ['blockchain-core'] }, 'broken core');
    expect((await lucid<Status>(['rollout', 'start', '--commit', bad, '--wait', '--json'], 3)).state).toBe('halted');
    const invalid = await h.repo.commit({ 'clusters/op-b/.env': null }, 'lost an env file');
    const out = await h.cli(['rollout', 'start', '--commit', invalid, '--wait', '--json']);
    expect(out.code).toBe(2);
    expect(JSON.parse(out.stdout).error).toMatchObject({ file: 'clusters/clusters.yaml', field: 'clusters[1].env' });
  });
});
