import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sampleFleetFiles, type SampleCluster } from '../../demo/sample-fleet';
import { FleetHarness } from '../support/fleet-harness';

const CLUSTER: SampleCluster = { id: 'cs-a', group: 'blockchain', profiles: ['blockchain'], wave: 'canary' };
const SIGNERS = 'policies/allowed-signers';
let h: FleetHarness;
let keys: string;

function sshKey(name: string): { file: string; line: string } {
  const file = path.join(keys, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file]);
  return { file, line: `${name}@lucid namespaces="git" ${fs.readFileSync(`${file}.pub`, 'utf8').trim()}` };
}

let alice: { file: string; line: string };
let mallory: { file: string; line: string };
const fleet = (version: string, signers: string[]) => sampleFleetFiles({ clusters: [CLUSTER], version, allowedSigners: signers });

beforeAll(async () => {
  keys = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-ssh-'));
  alice = sshKey('alice');
  mallory = sshKey('mallory');
  h = await FleetHarness.start('signatures', [CLUSTER]);
  await h.startControlWorker();
  await h.startClusterWorker(CLUSTER.id);
});
afterAll(async () => {
  await h?.close();
  fs.rmSync(keys, { recursive: true, force: true });
});

describe('commit signature gate (policies/allowed-signers)', () => {
  let trusted: string;

  it('a commit signed by an allowed key rolls out', async () => {
    trusted = await h.repo.commit(fleet('v1', [alice.line]), 'signers: alice', { replaceAll: true, signingKey: alice.file });
    expect((await h.rollout(trusted)).state).toBe('succeeded');
  });

  it.each([
    ['an unsigned commit', () => h.repo.commit(fleet('v2', [alice.line]), 'unsigned', { replaceAll: true }), /the commit is not signed/],
    ['a commit signed by an unknown key', () => h.repo.commit(fleet('v2', [alice.line]), 'by mallory', { replaceAll: true, signingKey: mallory.file }), /not in policies\/allowed-signers/],
    [
      'a change to the allowed signers signed only by the newly added key',
      () => h.repo.commit(fleet('v2', [alice.line, mallory.line]), 'mallory adds herself', { replaceAll: true, signingKey: mallory.file }),
      /not in policies\/allowed-signers of the previous commit/,
    ],
    [
      'an unsigned commit that deletes the allowed signers and opts out of them (the gate cannot be switched off)',
      () => h.repo.commit(sampleFleetFiles({ clusters: [CLUSTER], version: 'v2', insecure: { unsignedCommits: true, unpinnedImages: true } }), 'drop the gate', { replaceAll: true }),
      /the commit is not signed/,
    ],
    [
      'a commit signed by a trusted key that deletes the allowed signers and opts out of them',
      () =>
        h.repo.commit(sampleFleetFiles({ clusters: [CLUSTER], version: 'v2', insecure: { unsignedCommits: true, unpinnedImages: true } }), 'alice drops the gate', {
          replaceAll: true,
          signingKey: alice.file,
        }),
      /deleted in [0-9a-f]{12}: the commit-signature gate cannot be switched off by removing its policy$/,
    ],
  ])('%s is refused by the rollout and by the cluster itself; nothing changes', async (_name, make, reason) => {
    const before = (await h.containers(CLUSTER.id)).map((c) => `${c.id} ${c.startedAt}`);
    const sha = await make();
    const status = await h.rollout(sha);
    expect(status.state).toBe('halted');
    expect(status.reasons.join('\n')).toMatch(reason);

    const direct = await h.reconcile(CLUSTER.id, sha);
    expect(direct.outcome).toBe('invalid');
    // A signature is refused for the commit, a deletion for the file.
    expect(direct.rejection).toMatchObject({ file: SIGNERS, field: reason.source.startsWith('deleted') ? '(file)' : `commit ${sha.slice(0, 12)}` });
    expect(direct.rejection!.reason).toMatch(reason);

    const cli = await h.cli(['cluster', 'reconcile', CLUSTER.id, '--commit', sha, '--wait', '--json']);
    expect(cli.code).toBe(2);
    expect(JSON.parse(cli.stdout).error).toMatchObject({ file: SIGNERS });
    expect((await h.containers(CLUSTER.id)).map((c) => `${c.id} ${c.startedAt}`)).toEqual(before);

    const check = await h.cli(['policy', 'check', '--commit', sha, '--json']);
    expect(check.code).toBe(4);
    expect(JSON.parse(check.stdout)).toMatchObject({ commit: sha, passed: false, refusal: { file: SIGNERS } });
    // Put the branch back on a trusted commit so the next case starts from it.
    await h.repo.commit(fleet('v1', [alice.line]), 'back to trusted', { replaceAll: true, signingKey: alice.file });
  });

  it('the same change to the signers signed by a trusted key is accepted, and then the new key may sign', async () => {
    const added = await h.repo.commit(fleet('v1', [alice.line, mallory.line]), 'alice adds mallory', { replaceAll: true, signingKey: alice.file });
    expect((await h.rollout(added)).state).toBe('succeeded');
    const byMallory = await h.repo.commit(fleet('v2', [alice.line, mallory.line]), 'v2 by mallory', { replaceAll: true, signingKey: mallory.file });
    const check = await h.cli(['policy', 'check', '--json']);
    expect(check.code).toBe(0);
    expect(JSON.parse(check.stdout)).toEqual({
      commit: byMallory,
      passed: true,
      clusters: ['cs-a'],
      gates: { commitSigner: 'mallory@lucid', insecure: ['unpinnedImages'] },
      images: [],
      warnings: [expect.stringMatching(/^images are not pinned, signed or attested/)],
    });
    expect((await h.rollout(byMallory)).state).toBe('succeeded');
  });
});
