/**
 * Proposal branches on a real config repo (git and ssh-keygen, no stack): the commit is the operator's, signed
 * with the console's key so the commit-signature gate accepts it, pushed as a new branch only; the merge is a
 * fast-forward of main or nothing.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { git } from '../../repo/git-command';
import { ConfigRepoWriter } from '../../demo/config-repo-writer';
import { gitSigningKey } from '../../demo/git-signing-key';
import { ALLOWED_SIGNERS, verifyCommitSignature } from '../../repo/commit-signature';
import { GitMirror } from '../../repo/git-mirror';
import { ProposalRefused, branchHead, commitProposal, fastForward } from '../../repo/proposal-branch';

let root: string;
let repo: ConfigRepoWriter;
let mirror: GitMirror;
let keyFile: string;
let base: string;

const propose = (branch: string, files: Record<string, string>, on = base) =>
  commitProposal(mirror, { branch, base: on, files, author: { name: 'ada' }, message: 'wave\n\nProposed-by: ada\n', signingKey: keyFile, scratchDir: path.join(root, 'scratch') });

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-proposal-branch-'));
  const key = gitSigningKey(path.join(root, 'key'), 'console@lucid');
  keyFile = key.keyFile;
  repo = await ConfigRepoWriter.open(path.join(root, 'config.git'));
  base = await repo.commit({ 'clusters/clusters.yaml': 'clusters: []\n', [ALLOWED_SIGNERS]: `${key.allowedSigner}\n` }, 'first', { signingKey: keyFile });
  mirror = new GitMirror(repo.bareDir, path.join(root, 'mirror.git'), undefined);
  await mirror.fetch();
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('proposal branches', () => {
  it("commits as the operator, signed by the console's key, on a new branch of the config repo, and returns the diff", async () => {
    const { commit, diff } = await propose('proposals/1', { 'clusters/clusters.yaml': 'clusters: [] # moved\n' });
    const bare = (args: string[]) => git(args, { cwd: repo.bareDir });
    expect((await bare(['rev-parse', 'refs/heads/proposals/1'])).trim()).toBe(commit);
    expect((await bare(['rev-parse', 'refs/heads/main'])).trim()).toBe(base);
    expect(await bare(['log', '-1', '--format=%an <%ae>|%cn', commit])).toBe('ada <ada@console.lucid.invalid>|Lucid console\n');
    expect(diff).toMatch(/-clusters: \[\]\n\+clusters: \[\] # moved\n/);
    await mirror.fetch();
    await expect(verifyCommitSignature(mirror.mirrorDir, commit)).resolves.toEqual({ signer: 'console@lucid' });
  });

  it('refuses a change that changes nothing, and an existing branch with other commits', async () => {
    await expect(propose('proposals/2', { 'clusters/clusters.yaml': 'clusters: []\n' })).rejects.toThrow(
      new ProposalRefused('change', `changes nothing: clusters/clusters.yaml already say so at ${base.slice(0, 12)}`),
    );
    await expect(propose('proposals/1', { 'clusters/clusters.yaml': 'clusters: [] # other\n' })).rejects.toThrow(
      new ProposalRefused('branch', 'proposals/1 already exists in the config repo with other commits'),
    );
  });

  it('fast-forwards main to a proposal, and refuses one made on a main that moved since', async () => {
    await mirror.fetch();
    const first = await propose('proposals/3', { 'clusters/clusters.yaml': 'clusters: [] # three\n' });
    const second = await propose('proposals/4', { 'clusters/clusters.yaml': 'clusters: [] # four\n' });
    await fastForward(mirror, first.commit, 'main');
    expect(await branchHead(mirror, 'main')).toBe(first.commit);
    await expect(fastForward(mirror, second.commit, 'main')).rejects.toThrow(
      new ProposalRefused('merge', `main moved to ${first.commit.slice(0, 12)} since this proposal was made: not a fast-forward (propose the change again on the new main)`),
    );
    expect((await git(['rev-parse', 'refs/heads/main'], { cwd: repo.bareDir })).trim()).toBe(first.commit);
    await expect(branchHead(mirror, 'release')).rejects.toThrow(new ProposalRefused('branch', "the config repo has no branch 'release'"));
  });
});
