import * as fs from 'node:fs';
import * as path from 'node:path';
import { git } from './git-command';
import type { GitMirror } from './git-mirror';

/** Who a proposal's commit is by: the operator, under the console's domain (operators have names, not addresses). */
export interface ProposalAuthor {
  name: string;
}

export interface ProposalCommit {
  commit: string;
  diff: string;
}

export class ProposalRefused extends Error {
  constructor(readonly field: string, readonly reason: string) {
    super(`${field}: ${reason}`);
    this.name = 'ProposalRefused';
  }
}

const MAX_DIFF_BYTES = 256 * 1024;

/**
 * Commits `files` (path → new content) on `base` and pushes the commit as `proposals/<id>` of the config repo:
 * the author is the operator, the committer the console, and with a signing key (an SSH key file, as
 * `git -c gpg.format=ssh` takes it) the commit is signed. Made in a shared clone of the mirror, so the
 * mirror itself never has a work tree.
 */
export async function commitProposal(
  mirror: GitMirror,
  opts: {
    branch: string;
    base: string;
    files: Record<string, string>;
    author: ProposalAuthor;
    message: string;
    signingKey?: string;
    scratchDir: string;
  },
): Promise<ProposalCommit> {
  fs.mkdirSync(opts.scratchDir, { recursive: true });
  const dir = fs.mkdtempSync(path.join(opts.scratchDir, 'proposal-'));
  try {
    await git(['clone', '--shared', '--no-checkout', '--quiet', '--', mirror.mirrorDir, dir]);
    const sign = opts.signingKey ? ['gpg.format=ssh', `user.signingkey=${opts.signingKey}`, 'commit.gpgsign=true'] : ['commit.gpgsign=false'];
    const inClone = (args: string[]) => git(args, { cwd: dir, config: ['user.name=Lucid console', 'user.email=console@lucid.invalid', ...sign] });
    await inClone(['switch', '--quiet', '--detach', '--end-of-options', opts.base]);
    for (const [rel, body] of Object.entries(opts.files)) {
      // A secret's first value sealed on its own starts its directory (secrets/<id>.d/).
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), body);
    }
    await inClone(['add', '--', ...Object.keys(opts.files)]);
    if ((await inClone(['diff', '--cached', '--name-only'])).trim() === '') {
      throw new ProposalRefused('change', `changes nothing: ${Object.keys(opts.files).join(', ')} already say so at ${opts.base.slice(0, 12)}`);
    }
    await inClone(['commit', '--quiet', `--author=${opts.author.name} <${opts.author.name}@console.lucid.invalid>`, '-m', opts.message]);
    const commit = (await inClone(['rev-parse', 'HEAD'])).trim();
    if (!(await mirror.push(dir, commit, opts.branch))) {
      throw new ProposalRefused('branch', `${opts.branch} already exists in the config repo with other commits`);
    }
    const diff = await inClone(['diff', '--no-color', '--no-ext-diff', opts.base, commit, '--']);
    return { commit, diff: diff.length > MAX_DIFF_BYTES ? `${diff.slice(0, MAX_DIFF_BYTES)}\n… (diff cut at ${MAX_DIFF_BYTES} bytes)` : diff };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Fast-forwards `branch` of the config repo to `commit`, never anything else: when the branch moved on since
 * the proposal was made, it is refused and says where the branch is now.
 */
export async function fastForward(mirror: GitMirror, commit: string, branch: string): Promise<void> {
  await mirror.fetch();
  const head = await branchHead(mirror, branch);
  const ancestor = await git(['merge-base', '--is-ancestor', head, commit], { cwd: mirror.mirrorDir }).then(() => true, () => false);
  const moved = () =>
    new ProposalRefused('merge', `${branch} moved to ${head.slice(0, 12)} since this proposal was made: not a fast-forward (propose the change again on the new ${branch})`);
  if (!ancestor) throw moved();
  if (!(await mirror.push(mirror.mirrorDir, commit, branch))) throw moved();
  await mirror.fetch();
}

/** The commit `branch` of the mirror points at (fetch first for the remote's). */
export async function branchHead(mirror: GitMirror, branch: string): Promise<string> {
  const out = await git(['rev-parse', '--verify', '--end-of-options', `refs/heads/${branch}^{commit}`], { cwd: mirror.mirrorDir }).catch(() => {
      throw new ProposalRefused('branch', `the config repo has no branch '${branch}'`);
    });
  return out.trim();
}
