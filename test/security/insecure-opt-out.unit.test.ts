/**
 * The gates are on by default; policies/lucid.yaml is the only way around them.
 * Which revision's opt-out counts, what it parses, that a repo that ever had
 * signers cannot opt out, and which signers a commit is checked against: real
 * git and ssh-keygen, no stack.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { git } from '../../repo/git-command';
import { ConfigError } from '../../config/config-error';
import { OPT_OUT_FILE, parseInsecureOptOut } from '../../config/insecure-opt-out';
import { ConfigRepoWriter } from '../../demo/config-repo-writer';
import { ALLOWED_SIGNERS, verifyCommitSignature } from '../../repo/commit-signature';
import { breakglassOptOutRefusal } from '../../workflows/breakglass-plan';

let root: string;
let repo: ConfigRepoWriter;
let repos = 0;
const key = (name: string) => {
  const file = path.join(root, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file]);
  return { file, line: `${name}@lucid namespaces="git" ${fs.readFileSync(`${file}.pub`, 'utf8').trim()}\n` };
};

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-opt-out-'));
});
beforeEach(async () => {
  repo = await ConfigRepoWriter.open(path.join(root, `repo-${repos++}.git`));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const optOut = (yaml: string) => ({ 'README.md': 'a config repo\n', [OPT_OUT_FILE]: yaml });
const refusal = (sha: string) =>
  verifyCommitSignature(repo.bareDir, sha).then(
    () => undefined,
    (err: unknown) => {
      if (err instanceof ConfigError) return err.toJSON();
      throw err;
    },
  );

describe('policies/lucid.yaml: the schema', () => {
  it('opts out only of the gates set to true', () => {
    expect([...parseInsecureOptOut('insecure: {unsignedCommits: true, unpinnedImages: true}\n')]).toEqual(['unsignedCommits', 'unpinnedImages']);
    expect([...parseInsecureOptOut('insecure: {unpinnedImages: true, unsignedCommits: false}\n')]).toEqual(['unpinnedImages']);
    expect([...parseInsecureOptOut('# nothing opted out\n')]).toEqual([]);
  });

  it.each([
    ['a misspelt gate', 'insecure: {unsignedCommit: true}\n', 'insecure', /unsignedCommit/],
    ['a string for a boolean', 'insecure: {unsignedCommits: "true"}\n', 'insecure.unsignedCommits', /boolean/],
    ['yes for a boolean (YAML 1.2: a string)', 'insecure: {unpinnedImages: yes}\n', 'insecure.unpinnedImages', /boolean/],
    ['insecure that is not a mapping', 'insecure: true\n', 'insecure', /object/],
    ['an unknown top-level key', 'insecure: {}\nsecure: true\n', '(root)', /secure/],
  ])('refuses %s with file, field and reason', (_name, yaml, field, reason) => {
    let err: unknown;
    try {
      parseInsecureOptOut(yaml);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).toJSON()).toEqual({ file: OPT_OUT_FILE, field, reason: expect.stringMatching(reason) });
  });
});

describe('the commit-signature gate without allowed-signers', () => {
  it('refuses an unsigned commit in a repo with no policies at all, naming the file and how to add it', async () => {
    const sha = await repo.commit({ 'README.md': 'no policies\n' }, 'no policies');
    expect(await refusal(sha)).toEqual({
      file: ALLOWED_SIGNERS,
      field: '(file)',
      reason: expect.stringMatching(/^missing: commits must be SSH-signed by a key listed here .*insecure: \{unsignedCommits: true\} in policies\/lucid\.yaml$/),
    });
  });

  it('takes the first lucid.yaml from the commit itself: there was no trusted state before it', async () => {
    await repo.commit({ 'README.md': 'refused\n' }, 'no policies');
    const sha = await repo.commit(optOut('insecure: {unsignedCommits: true}\n'), 'opt out');
    expect(await verifyCommitSignature(repo.bareDir, sha)).toEqual({ optedOut: true });
  });

  it('reads an existing lucid.yaml from the parent: a commit cannot opt itself out, the next one is', async () => {
    await repo.commit(optOut('insecure: {unpinnedImages: true}\n'), 'images only');
    const self = await repo.commit(optOut('insecure: {unpinnedImages: true, unsignedCommits: true}\n'), 'and signatures');
    expect(await refusal(self)).toMatchObject({ file: ALLOWED_SIGNERS, field: '(file)' });
    const next = await repo.commit({ 'README.md': 'next\n' }, 'next');
    expect(await verifyCommitSignature(repo.bareDir, next)).toEqual({ optedOut: true });
  });

  it('switching the opt-out off takes effect from the next commit', async () => {
    await repo.commit(optOut('insecure: {unsignedCommits: true}\n'), 'opt out');
    const off = await repo.commit(optOut('insecure: {unsignedCommits: false}\n'), 'gate on');
    expect(await verifyCommitSignature(repo.bareDir, off)).toEqual({ optedOut: true });
    const next = await repo.commit({ 'README.md': 'next\n' }, 'next');
    expect(await refusal(next)).toMatchObject({ file: ALLOWED_SIGNERS, field: '(file)' });
  });

  it("names the parent when the parent's lucid.yaml is the malformed one", async () => {
    const bad = await repo.commit(optOut('insecure: {unsignedCommits: 1}\n'), 'malformed');
    expect(await refusal(bad)).toMatchObject({ file: OPT_OUT_FILE, field: 'insecure.unsignedCommits' });
    const child = await repo.commit(optOut('insecure: {unsignedCommits: true}\n'), 'fixed');
    expect(await refusal(child)).toEqual({
      file: OPT_OUT_FILE,
      field: 'insecure.unsignedCommits',
      reason: expect.stringContaining(`(in commit ${bad.slice(0, 12)}, the parent, whose opt-out counts)`),
    });
  });

  it('never lets a repo that had signers opt out, and checks a re-added signers file against the one deleted', async () => {
    const alice = key(`alice-${repos}`);
    const mallory = key(`mallory-${repos}`);
    const insecure = 'insecure: {unsignedCommits: true}\n';
    await repo.commit({ ...optOut(insecure), [ALLOWED_SIGNERS]: alice.line }, 'signers: alice', { signingKey: alice.file });

    // Deleting the signers, even signed by a trusted key, is refused; the opt-out does not help.
    const deleted = await repo.commit({ [ALLOWED_SIGNERS]: null }, 'drop signers', { signingKey: alice.file });
    expect(await refusal(deleted)).toEqual({
      file: ALLOWED_SIGNERS,
      field: '(file)',
      reason: `deleted in ${deleted.slice(0, 12)}: the commit-signature gate cannot be switched off by removing its policy`,
    });
    const unsigned = await repo.commit({ 'README.md': 'after\n' }, 'unsigned, after the deletion');
    expect(await refusal(unsigned)).toMatchObject({ file: ALLOWED_SIGNERS, reason: 'the commit is not signed' });
    const signed = await repo.commit({ 'README.md': 'after, signed\n' }, 'signed, after the deletion', { signingKey: alice.file });
    expect(await refusal(signed)).toMatchObject({ file: ALLOWED_SIGNERS, reason: expect.stringMatching(`^deleted in ${deleted.slice(0, 12)}`) });

    // Bringing back a signers file with one's own key: checked against the file as it stood before the deletion.
    const readded = await repo.commit({ [ALLOWED_SIGNERS]: mallory.line }, 'mallory re-adds signers', { signingKey: mallory.file, push: false });
    await expect(verifyCommitSignature(repo.workDir, readded)).rejects.toMatchObject({ file: ALLOWED_SIGNERS, reason: expect.stringMatching(/not in policies\/allowed-signers/) });
    await git(['reset', '-q', '--hard', 'HEAD~1'], { cwd: repo.workDir });
    const restored = await repo.commit({ [ALLOWED_SIGNERS]: alice.line }, 'alice restores signers', { signingKey: alice.file });
    expect(await verifyCommitSignature(repo.bareDir, restored)).toEqual({ signer: `alice-${repos}@lucid` });
  });
});

describe('the signers a commit is checked against were vouched for', () => {
  it('a key added by a refused commit cannot sign the next one; keys trusted before it still can', async () => {
    const alice = key(`alice-${repos}`);
    const mallory = key(`mallory-${repos}`);
    await repo.commit({ [ALLOWED_SIGNERS]: alice.line }, 'signers: alice', { signingKey: alice.file });
    const added = await repo.commit({ [ALLOWED_SIGNERS]: alice.line + mallory.line }, 'mallory adds herself, unsigned');
    expect(await refusal(added)).toMatchObject({ file: ALLOWED_SIGNERS, reason: 'the commit is not signed' });

    const byMallory = await repo.commit({ 'README.md': 'mallory was here\n' }, 'by mallory', { signingKey: mallory.file });
    expect(await refusal(byMallory)).toEqual({ file: ALLOWED_SIGNERS, field: `commit ${byMallory.slice(0, 12)}`, reason: expect.stringMatching(/not in policies\/allowed-signers/) });
    const byAlice = await repo.commit({ [ALLOWED_SIGNERS]: alice.line }, 'alice takes mallory out', { signingKey: alice.file });
    expect(await verifyCommitSignature(repo.bareDir, byAlice)).toEqual({ signer: `alice-${repos}@lucid` });
  });

  it('a first signers file whose commit is not signed by a key it lists vouches for nothing', async () => {
    const alice = key(`alice-${repos}`);
    const first = await repo.commit({ [ALLOWED_SIGNERS]: alice.line }, 'signers: alice, unsigned');
    expect(await refusal(first)).toMatchObject({ file: ALLOWED_SIGNERS, reason: 'the commit is not signed' });
    const next = await repo.commit({ 'README.md': 'signed\n' }, 'by alice', { signingKey: alice.file });
    expect(await refusal(next)).toEqual({
      file: ALLOWED_SIGNERS,
      field: `commit ${next.slice(0, 12)}`,
      reason: `no trusted version: the first one, in ${first.slice(0, 12)}, does not pass the commit-signature gate`,
    });
  });
});

describe('break-glass and the opt-out', () => {
  it('refuses a commit that passed any gate only by the opt-out', () => {
    expect(breakglassOptOutRefusal({ commitSigner: 'alice@lucid', images: 3, imageSigners: ['release'] })).toBeUndefined();
    expect(breakglassOptOutRefusal(undefined)).toBeUndefined();
    expect(breakglassOptOutRefusal({ images: 3, imageSigners: ['release'], insecure: ['unsignedCommits'] })).toBe(
      'the commit passes unsignedCommits only by the opt-out in policies/lucid.yaml; break-glass needs every gate on',
    );
  });
});
