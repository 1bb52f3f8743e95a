import * as fs from 'node:fs';
import * as path from 'node:path';
import { git } from '../repo/git-command';

/**
 * A config repo the way an operator's console makes it: a bare repository
 * (what clusters pull from) and a work clone that commits and pushes to it.
 */
export class ConfigRepoWriter {
  private constructor(
    readonly bareDir: string,
    readonly workDir: string,
  ) {}

  /** git in the work clone. */
  private git(args: string[]): Promise<string> {
    return git(args, { cwd: this.workDir });
  }

  static async open(bareDir: string, workDir = `${bareDir.replace(/\.git$/, '')}-work`): Promise<ConfigRepoWriter> {
    if (!fs.existsSync(path.join(bareDir, 'HEAD'))) {
      fs.mkdirSync(bareDir, { recursive: true });
      await git(['init', '--bare', '--initial-branch=main', '--quiet'], { cwd: bareDir });
    }
    if (!fs.existsSync(path.join(workDir, '.git'))) {
      fs.rmSync(workDir, { recursive: true, force: true });
      await git(['clone', '--quiet', '--', bareDir, workDir]);
    }
    const writer = new ConfigRepoWriter(bareDir, workDir);
    await writer.git(['config', 'user.name', 'Lucid Operator']);
    await writer.git(['config', 'user.email', 'operator@lucid.invalid']);
    await writer.git(['checkout', '-q', '-B', 'main']);
    return writer;
  }

  /** Writes (string) or deletes (null) files, commits and pushes; returns the new sha. */
  async commit(
    files: Record<string, string | null>,
    message: string,
    opts: {
      replaceAll?: boolean;
      /** An SSH private key file: the commit is signed with it. */
      signingKey?: string;
      /** false: commit locally only, as a push that has not reached the repo the fleet pulls from yet. */
      push?: boolean;
    } = {},
  ): Promise<string> {
    if (opts.replaceAll) {
      for (const entry of fs.readdirSync(this.workDir)) {
        if (entry !== '.git') fs.rmSync(path.join(this.workDir, entry), { recursive: true, force: true });
      }
    }
    for (const [rel, body] of Object.entries(files)) {
      const full = path.join(this.workDir, rel);
      if (body === null) fs.rmSync(full, { force: true });
      else {
        fs.mkdirSync(path.dirname(full), { recursive: true });
        fs.writeFileSync(full, body);
      }
    }
    await this.git(['add', '-A', '.']);
    if (opts.signingKey) {
      await this.git(['-c', 'gpg.format=ssh', '-c', `user.signingkey=${opts.signingKey}`, 'commit', '-q', '-S', '--allow-empty', '-m', message]);
    } else {
      await this.git(['commit', '-q', '--allow-empty', '-m', message]);
    }
    if (opts.push !== false) await this.push();
    return (await this.git(['rev-parse', 'HEAD'])).trim();
  }

  async push(): Promise<void> {
    await this.git(['push', '--quiet', 'origin', 'main']);
  }
}
