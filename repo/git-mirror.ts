import * as fs from 'node:fs';
import * as path from 'node:path';
import { egressProxy, type EgressProxy } from '../config/egress-proxy';
import { InvalidInputError, commitRef, fullSha } from '../common/input-ids';
import type { CommitInfo } from '../workflows/reconcile-types';
import { withFileLock } from './file-lock';
import { git } from './git-command';
import { gitEgressEnv } from './git-egress';
import { redactUrl } from './redact-url';

export class UnknownCommitError extends Error {
  constructor(readonly repo: string, readonly ref: string) {
    super(`commit '${ref}' not found in config repo ${redactUrl(repo)}`);
    this.name = 'UnknownCommitError';
  }
}

/**
 * A local bare mirror of the config repo. Clusters and the console each keep
 * one, so a commit is fetched once and every work tree is a cheap local clone.
 * Every value from outside reaches git after `--` or `--end-of-options`, and
 * is checked first, so it can never be read as an option. With an egress
 * proxy (LUCID_TEMPORAL_PROXY by default) clone and fetch go through it only.
 */
export class GitMirror {
  /** The environment of the commands that reach the remote; undefined when they need nothing added. */
  private readonly egressEnv: NodeJS.ProcessEnv | undefined;
  /** Commits already resolved by full sha: what a sha names never changes, and a reconcile resolves its commit at fetch and again at prepare. */
  private readonly resolved = new Map<string, CommitInfo>();

  constructor(
    readonly repoUrl: string,
    readonly mirrorDir: string,
    proxy: EgressProxy | undefined = egressProxy(),
  ) {
    if (repoUrl.startsWith('-')) {
      throw new InvalidInputError('config repo URL', JSON.stringify(redactUrl(repoUrl)), "must not start with '-': git would read it as an option");
    }
    this.egressEnv = gitEgressEnv(repoUrl, proxy);
  }

  /**
   * git for commands that talk to the remote: with the egress settings, which
   * are ours; inherited GIT_* variables (GIT_SSH, GIT_PROXY_COMMAND,
   * GIT_CONFIG_PARAMETERS…) and pagers never reach git, so none can route
   * around the proxy.
   */
  private remoteGit(args: string[], cwd?: string): Promise<string> {
    return git(args, { cwd, env: this.egressEnv });
  }

  async fetch(): Promise<void> {
    fs.mkdirSync(path.dirname(this.mirrorDir), { recursive: true });
    await withFileLock(`${this.mirrorDir}.lock`, () => this.fetchUnlocked());
  }

  private async fetchUnlocked(): Promise<void> {
    if (!fs.existsSync(path.join(this.mirrorDir, 'HEAD'))) {
      const tmp = `${this.mirrorDir}.tmp-${process.pid}`;
      fs.rmSync(tmp, { recursive: true, force: true });
      await this.remoteGit(['clone', '--mirror', '--quiet', '--', this.repoUrl, tmp]);
      fs.renameSync(tmp, this.mirrorDir);
      return;
    }
    await this.remoteGit(['fetch', '--prune', '--quiet', 'origin'], this.mirrorDir);
  }

  /**
   * Pushes `<sha>:refs/heads/<branch>` from a repository sharing the mirror's objects, never forced: the
   * remote refuses anything but a new branch or a fast-forward. Resolves false when it refused.
   */
  async push(fromDir: string, sha: string, branch: string): Promise<boolean> {
    fullSha('commit', sha);
    if (!/^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/.test(branch) || branch.includes('..')) {
      throw new InvalidInputError('branch', JSON.stringify(branch), 'must be letters, digits, dots, dashes and slashes');
    }
    try {
      await this.remoteGit(['push', '--quiet', '--', this.repoUrl, `${sha}:refs/heads/${branch}`], fromDir);
      return true;
    } catch (err) {
      if (/\[rejected\]|non-fast-forward|fetch first/.test((err as Error).message)) return false;
      throw err;
    }
  }

  /** Resolves a sha (full or short) or, with no ref, the head of the default branch. */
  async resolve(ref?: string): Promise<CommitInfo> {
    const want = ref === undefined ? 'HEAD' : commitRef('commit', ref);
    const known = this.resolved.get(want);
    if (known) return known;
    let out: string;
    try {
      out = await git(['log', '-1', '--format=%H%x00%an <%ae>%x00%s%x00%cI', '--end-of-options', `${want}^{commit}`, '--'], { cwd: this.mirrorDir });
    } catch {
      throw new UnknownCommitError(this.repoUrl, want);
    }
    const [sha, author, subject, committedAt] = out.trim().split('\0');
    const info = { sha: sha!, author: author!, subject: subject!, committedAt: committedAt! };
    if (want === info.sha) {
      if (this.resolved.size >= 1000) this.resolved.delete(this.resolved.keys().next().value!);
      this.resolved.set(want, info);
    }
    return info;
  }

  async fetchAndResolve(ref?: string): Promise<CommitInfo> {
    const want = ref === undefined ? undefined : commitRef('commit', ref);
    if (want !== undefined && fs.existsSync(path.join(this.mirrorDir, 'HEAD'))) {
      try {
        return await this.resolve(want);
      } catch (err) {
        if (!(err instanceof UnknownCommitError)) throw err;
        // not here yet: fetch below
      }
    }
    await this.fetch();
    return this.resolve(want);
  }

  /**
   * A plain checkout of one commit under `treesDir/<sha>`, made in a temp dir
   * and renamed into place so a crash never leaves a half-written tree.
   */
  async materialize(sha: string, treesDir: string): Promise<string> {
    fullSha('commit', sha);
    const dir = path.join(treesDir, sha);
    if (fs.existsSync(dir)) return dir;
    fs.mkdirSync(treesDir, { recursive: true });
    const tmp = fs.mkdtempSync(path.join(treesDir, `.${sha.slice(0, 12)}-`));
    try {
      await git(['clone', '--shared', '--no-checkout', '--quiet', '--', this.mirrorDir, tmp]);
      // `switch`, not `checkout`: git 2.39's checkout --detach refuses --end-of-options.
      await git(['switch', '--quiet', '--detach', '--end-of-options', sha], { cwd: tmp });
      fs.renameSync(tmp, dir);
    } catch (err) {
      fs.rmSync(tmp, { recursive: true, force: true });
      if (fs.existsSync(dir)) return dir;
      throw err;
    }
    return dir;
  }
}
