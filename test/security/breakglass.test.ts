import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BREAKGLASS_NAMESPACE, BREAKGLASS_SIGNERS, breakglassMessage } from '../../repo/breakglass-signature';
import { sampleFleetFiles, type SampleCluster } from '../../demo/sample-fleet';
import { FleetHarness } from '../support/fleet-harness';

const CLUSTERS: SampleCluster[] = [
  { id: 'bg-a', group: 'blockchain', profiles: ['blockchain'], wave: 'canary' },
  { id: 'bg-b', group: 'sessions', profiles: ['sessions'], wave: 'core' },
  { id: 'bg-c', group: 'blockchain', profiles: ['blockchain'], wave: 'core' },
];
// Gates a normal rollout would wait on for months: approval, a soak and a once-a-year window.
const WAVES = [{ name: 'canary', approval: true, soakSeconds: 600, windows: ['0 0 1 1 *'] }, 'core'];
let h: FleetHarness;
let keys: string;

function sshKey(name: string): string {
  const file = path.join(keys, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file]);
  return file;
}

/** What an operator does: sign the commit and an expiry with a break-glass key. */
let signed = 0;
function sign(key: string, sha: string, expiresAt: string): string {
  const msg = path.join(keys, `msg-${signed++}`);
  fs.writeFileSync(msg, breakglassMessage(sha, expiresAt));
  execFileSync('ssh-keygen', ['-Y', 'sign', '-n', BREAKGLASS_NAMESPACE, '-f', key, msg], { stdio: 'ignore' });
  return `${msg}.sig`;
}

const at = (minutes: number) => new Date(Date.now() + minutes * 60000).toISOString().replace(/\.\d+Z$/, 'Z');
let alice: string;
let mallory: string;
let sha: string;

beforeAll(async () => {
  keys = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-bg-'));
  alice = sshKey('alice');
  mallory = sshKey('mallory');
  h = await FleetHarness.start('breakglass', CLUSTERS);
  await h.startControlWorker();
  for (const c of CLUSTERS) await h.startClusterWorker(c.id);
  const files = { ...sampleFleetFiles({ clusters: CLUSTERS, version: 'v1', waves: WAVES }), [BREAKGLASS_SIGNERS]: `alice@lucid namespaces="${BREAKGLASS_NAMESPACE}" ${fs.readFileSync(`${alice}.pub`, 'utf8')}` };
  await h.repo.commit(files, 'fleet with gates and a break-glass signer', { replaceAll: true });
  sha = await h.repo.commit({ ...files, ...sampleFleetFiles({ clusters: CLUSTERS, version: 'v2', waves: WAVES }) }, 'urgent fix');
});
afterAll(async () => {
  await h?.close();
  fs.rmSync(keys, { recursive: true, force: true });
});

describe('break-glass rollout', () => {
  it('with an expired signature, or one by a key that is not a break-glass key, starts nothing', async () => {
    for (const [sig, expires, reason] of [
      [sign(alice, sha, at(-1)), at(-1), /expired/],
      [sign(mallory, sha, at(30)), at(30), /not by a break-glass key/],
      [sign(alice, sha, at(30)), at(45), /not by a break-glass key, or not over this commit and expiry/],
    ] as const) {
      const out = await h.cli(['breakglass', sha, '--signature', sig, '--expires', expires, '--json']);
      expect(out.code).toBe(4);
      expect(out.stderr).toMatch(reason);
      expect(JSON.parse(out.stdout).error.file).toBe(BREAKGLASS_SIGNERS);
    }
    await expect(h.client.workflow.getHandle(`breakglass-${sha}`).describe()).rejects.toThrow(/not found/i);
  });

  it('with a valid signature applies to every cluster at once, skipping approval, soak and window, marked as break-glass', async () => {
    const expires = at(30);
    const out = await h.cli(['breakglass', sha.slice(0, 10), '--signature', sign(alice, sha, expires), '--expires', expires, '--wait', '--json']);
    expect(out.code).toBe(0);
    const status = JSON.parse(out.stdout);
    expect(status.state).toBe('succeeded');
    expect(status.waves).toHaveLength(1);
    expect(status.waves[0]).toMatchObject({ name: 'breakglass', state: 'healthy' });
    expect(status.waves[0].clusters.map((c: { id: string; state: string }) => `${c.id}:${c.state}`)).toEqual(['bg-a:healthy', 'bg-b:healthy', 'bg-c:healthy']);
    for (const c of CLUSTERS) for (const ct of await h.containers(c.id)) expect(ct.image).toBe('lucid-local/demo-app:v2');

    const marked: string[] = [];
    for await (const wf of h.client.workflow.list({ query: `LucidBreakglass = true AND LucidCommit = '${sha}'` })) marked.push(wf.workflowId);
    expect(marked).toEqual([`breakglass-${sha}`]);
    const history = await h.cli(['rollout', 'history', sha]);
    expect(history.code).toBe(2); // the normal rollout of this commit never ran
    const events = await h.db.collection('rollout_events').find({ commit: sha }).toArray();
    expect(events.map((e) => e.message).join('\n')).toMatch(/BREAK-GLASS by alice@lucid/);
  });
});
