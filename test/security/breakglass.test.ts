import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BREAKGLASS_NAMESPACE, BREAKGLASS_SIGNERS, breakglassMessage } from '../../repo/breakglass-signature';
import { DEMO_APP } from '../../demo/demo-images';
import { generateReleaseKey, pushImage, releaseImage, type ReleaseKey } from '../../demo/image-release';
import { sampleFleetFiles, type SampleCluster } from '../../demo/sample-fleet';
import { startRollout } from '../../triggers/rollout-trigger';
import type { rollout } from '../../workflows';
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
let optedOut: string;
let images: Record<string, string>;

/** v1 and v2 of the demo app, pushed to the stack's registry, pinned, cosign-signed and attested. */
async function releaseImages(key: ReleaseKey): Promise<Record<string, string>> {
  const pinned: Record<string, string> = {};
  for (const v of ['v1', 'v2']) {
    pinned[v] = await pushImage(h.docker, `${DEMO_APP}:${v}`, h.stack.registry, 'breakglass/app', v);
    await releaseImage(key, pinned[v], { packages: [{ name: 'busybox-static', version: 'test' }], findings: { critical: 0, high: 0 }, scanner: 'pkg:generic/test-scanner' });
  }
  return pinned;
}

beforeAll(async () => {
  keys = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-bg-'));
  alice = sshKey('alice');
  mallory = sshKey('mallory');
  h = await FleetHarness.start('breakglass', CLUSTERS);
  await h.startControlWorker();
  for (const c of CLUSTERS) await h.startClusterWorker(c.id);
  const pub = fs.readFileSync(`${alice}.pub`, 'utf8').trim();
  const breakglassSigners = { [BREAKGLASS_SIGNERS]: `alice@lucid namespaces="${BREAKGLASS_NAMESPACE}" ${pub}\n` };
  // First the fleet as a quick start leaves it: both gates opted out in policies/lucid.yaml.
  optedOut = await h.repo.commit({ ...sampleFleetFiles({ clusters: CLUSTERS, version: 'v1', waves: WAVES }), ...breakglassSigners }, 'fleet, gates opted out', {
    replaceAll: true,
  });
  // Then locked: signed commits, pinned, signed, attested images, no opt-out; break-glass needs every gate on.
  const release = await generateReleaseKey(path.join(keys, 'release'), 'release');
  images = await releaseImages(release);
  const imagePolicy = {
    registries: [h.stack.registry],
    signers: [{ name: release.name, publicKey: release.publicKey }],
    budget: { critical: 0, high: 0 },
  };
  const locked = (version: string) => ({
    ...sampleFleetFiles({
      clusters: CLUSTERS,
      version,
      waves: WAVES,
      images,
      allowedSigners: [`alice@lucid namespaces="git" ${pub}`],
      imagePolicy,
    }),
    ...breakglassSigners,
  });
  await h.repo.commit(locked('v1'), 'fleet with every gate and a break-glass signer', { replaceAll: true, signingKey: alice });
  sha = await h.repo.commit(locked('v2'), 'urgent fix', { replaceAll: true, signingKey: alice });
});
afterAll(async () => {
  await h?.close();
  fs.rmSync(keys, { recursive: true, force: true });
});

describe('break-glass rollout', () => {
  it('of a commit that passes a gate only by the policies/lucid.yaml opt-out is refused, by the CLI and by the workflow', async () => {
    const expires = at(30);
    const signature = sign(alice, optedOut, expires);
    const out = await h.cli(['breakglass', optedOut, '--signature', signature, '--expires', expires, '--json']);
    expect(out.code).toBe(4);
    const why = 'the commit passes unsignedCommits, unpinnedImages only by the opt-out in policies/lucid.yaml; break-glass needs every gate on';
    expect(JSON.parse(out.stdout).error).toMatchObject({ file: 'policies/lucid.yaml', field: 'insecure', reason: why });
    await expect(h.client.workflow.getHandle(`breakglass-${optedOut}`).describe()).rejects.toThrow(/not found/i);

    // Started past the CLI, the rollout itself refuses it before anything is applied.
    const before = await Promise.all(CLUSTERS.map((c) => h.containers(c.id)));
    const breakglass = { signature: fs.readFileSync(signature, 'utf8'), expiresAt: expires };
    const { workflowId } = await startRollout(h.client, optedOut, { source: 'breakglass', by: 'alice@lucid' }, breakglass);
    const status = await h.client.workflow.getHandle<typeof rollout>(workflowId).result();
    expect(status).toMatchObject({ state: 'halted', reasons: [`break-glass refused: ${why}`], waves: [] });
    expect(await Promise.all(CLUSTERS.map((c) => h.containers(c.id)))).toEqual(before);
  });

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
    for (const c of CLUSTERS) for (const ct of await h.containers(c.id)) expect(ct.image).toBe(images.v2);

    const marked: string[] = [];
    for await (const wf of h.client.workflow.list({ query: `LucidBreakglass = true AND LucidCommit = '${sha}'` })) marked.push(wf.workflowId);
    expect(marked).toEqual([`breakglass-${sha}`]);
    const history = await h.cli(['rollout', 'history', sha]);
    expect(history.code).toBe(2); // the normal rollout of this commit never ran
    const events = await h.db.collection('rollout_events').find({ commit: sha }).toArray();
    expect(events.map((e) => e.message).join('\n')).toMatch(/BREAK-GLASS by alice@lucid/);
  });
});
