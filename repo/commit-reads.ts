import { git } from './git-command';

/** A commit by its full sha, or its first parent: what it names never changes. */
const FIXED_REV = /^[0-9a-f]{40}\^?$/;
const MAX_ANSWERS = 10_000;
const answers = new Map<string, Promise<string>>();

/**
 * Reads of one repo about one revision. A commit's content and its ancestry
 * are fixed by its sha, so an answer about a full sha is asked of git once per
 * process: the gates ask the same questions of a commit and of its parent at
 * every reconcile (about a dozen git processes, most of a cluster's prepare).
 * A failed read is not kept, so a passing git error is not remembered; any
 * other revision (a branch, HEAD) is asked every time.
 */
export class CommitReads {
  constructor(readonly gitDir: string) {}

  /** `git <args>` in the repo, where `args` ask only about `rev`. */
  at(rev: string, args: string[]): Promise<string> {
    if (!FIXED_REV.test(rev)) return git(args, { cwd: this.gitDir });
    const key = [this.gitDir, ...args].join('\0');
    let answer = answers.get(key);
    if (!answer) {
      answer = git(args, { cwd: this.gitDir });
      answer.catch(() => answers.delete(key));
      if (answers.size >= MAX_ANSWERS) answers.delete(answers.keys().next().value!);
      answers.set(key, answer);
    }
    return answer;
  }
}
