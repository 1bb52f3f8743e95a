import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../config/config-error';
import { LIMITS_FILE, checkCount, checkSize } from '../config/config-files';
import { OPT_OUT_FILE, OPT_OUT_MAX_BYTES, parseInsecureOptOut } from '../config/insecure-opt-out';
import { DEFAULT_LIMITS, LIMITS_FILE_MAX_BYTES, limitOf, parseLimits, type Limits } from '../config/limits';
import { CommitReads } from './commit-reads';
import { git } from './git-command';

export const ALLOWED_SIGNERS = 'policies/allowed-signers';

/**
 * A policy file as it stood before the commit: in its parent, or, when the
 * parent has none because an ancestor deleted it, as it stood before that
 * deletion (a commit that deletes and a later one that brings its own keys
 * never vouch for themselves). The commit's own only when no ancestor ever had
 * the file: trusted on first use. A version is trusted only when the commit
 * that made it passes the commit-signature gate itself; otherwise what was
 * trusted before that commit still holds, so a refused commit that adds a key
 * cannot vouch for the key's next commit.
 */
export async function trustedPolicyFile(gitDir: string, sha: string, file: string): Promise<string | undefined> {
  const rev = await vouchedRevision(gitDir, sha, file);
  return rev === undefined ? undefined : readPolicyBlob(new CommitReads(gitDir), rev, file);
}

/** The revision whose `file` is trusted for `sha` (see trustedPolicyFile); undefined when there is none. */
async function vouchedRevision(gitDir: string, sha: string, file: string): Promise<string | undefined> {
  const git = new CommitReads(gitDir);
  const rev = await trustedRevision(git, sha, file);
  if (rev === undefined || rev === sha) return rev;
  // First parents only: a signed merge vouches for what its second parent brought.
  const maker = (await git.at(rev, ['log', '-1', '--first-parent', '--format=%H', '--end-of-options', rev, '--', file])).trim();
  if (await passesSignatureGate(gitDir, maker)) return rev;
  const before = await vouchedRevision(gitDir, maker, file);
  if (before === maker) {
    throw new ConfigError(file, `commit ${sha.slice(0, 12)}`, `no trusted version: the first one, in ${maker.slice(0, 12)}, does not pass the commit-signature gate`);
  }
  return before;
}

/** The revision whose `file` stood before `sha`: its parent's, the one before a deletion, or `sha` itself on first use. */
async function trustedRevision(git: CommitReads, sha: string, file: string): Promise<string | undefined> {
  const parent = await parentOf(git, sha);
  if (!parent) return (await blobSize(git, sha, file)) === undefined ? undefined : sha;
  if ((await blobSize(git, parent, file)) !== undefined) return parent;
  const deletion = await lastTouch(git, parent, file);
  const rev = deletion ? `${deletion}^` : sha;
  return (await blobSize(git, rev, file)) === undefined ? undefined : (await git.at(rev, ['rev-parse', '--verify', '--end-of-options', `${rev}^{commit}`])).trim();
}

/** Verdicts by commit: a commit's verdict depends only on its ancestry, which never changes. */
const gateVerdicts = new Map<string, Promise<boolean>>();

async function passesSignatureGate(gitDir: string, sha: string): Promise<boolean> {
  const key = `${gitDir}\0${sha}`;
  let verdict = gateVerdicts.get(key);
  if (!verdict) {
    verdict = verifyCommitSignature(gitDir, sha).then(
      () => true,
      (err: unknown) => {
        if (err instanceof ConfigError) return false;
        gateVerdicts.delete(key);
        throw err;
      },
    );
    if (gateVerdicts.size >= 10_000) gateVerdicts.delete(gateVerdicts.keys().next().value!);
    gateVerdicts.set(key, verdict);
  }
  return verdict;
}

async function parentOf(git: CommitReads, sha: string): Promise<string | undefined> {
  return (await git.at(sha, ['rev-list', '--parents', '-n', '1', '--end-of-options', sha])).trim().split(' ')[1];
}

/** The newest commit up to `rev` that added, changed or deleted `file`; undefined when none did. */
async function lastTouch(git: CommitReads, rev: string, file: string): Promise<string | undefined> {
  return (await git.at(rev, ['log', '-1', '--format=%H', '--end-of-options', rev, '--', file])).trim() || undefined;
}

/**
 * Refuses a commit without `file` when an ancestor (or the commit) had it: a
 * gate is not switched off by deleting its policy, not even one commit after a
 * refused deletion.
 */
export async function refuseDeletedPolicy(gitDir: string, sha: string, file: string, gate: string): Promise<void> {
  const git = new CommitReads(gitDir);
  if ((await blobSize(git, sha, file)) !== undefined) return;
  const deletion = await lastTouch(git, sha, file);
  if (deletion) throw new ConfigError(file, '(file)', `deleted in ${deletion.slice(0, 12)}: ${gate} cannot be switched off by removing its policy`);
}

/**
 * Bytes of `rev:file`, undefined when the revision has no such file (or git
 * cannot read the revision). Something other than a file there is refused.
 */
async function blobSize(git: CommitReads, rev: string, file: string): Promise<number | undefined> {
  // One listing of the file's directory answers every policy file in it: the gates ask about four of them per revision.
  // ls-tree answers "no such file" with nothing and success, so that answer is kept like any other.
  const dir = path.posix.dirname(file);
  const pathspec = dir === '.' ? file : `${dir}/`;
  const out = await git.at(rev, ['ls-tree', '-l', '--full-tree', '--end-of-options', rev, '--', pathspec]).catch(() => undefined);
  const entry = out?.split('\n').find((line) => line.endsWith(`\t${file}`));
  if (entry === undefined) return undefined;
  const [, type, , size] = entry.split('\t')[0]!.trim().split(/\s+/);
  if (type !== 'blob') throw new ConfigError(file, `commit ${rev.slice(0, 12)}`, `is a ${type}, not a file`);
  return Number(size);
}

/** A revision's policies/limits.yaml over the defaults; the limits file itself has a fixed cap. */
async function limitsAt(git: CommitReads, rev: string): Promise<Limits> {
  const size = await blobSize(git, rev, LIMITS_FILE);
  if (size === undefined) return DEFAULT_LIMITS;
  checkSize(LIMITS_FILE, `commit ${rev.slice(0, 12)}`, size, { max: LIMITS_FILE_MAX_BYTES });
  return parseLimits(await git.at(rev, ['show', `${rev}:${LIMITS_FILE}`]));
}

/**
 * A signers file as it stands in `rev`, within that revision's limits: its
 * size is checked before git hands over a byte, its key lines after.
 */
async function readPolicyBlob(git: CommitReads, rev: string, file: string): Promise<string | undefined> {
  const size = await blobSize(git, rev, file);
  if (size === undefined) return undefined;
  const limits = await limitsAt(git, rev);
  const field = `commit ${rev.slice(0, 12)}`;
  checkSize(file, field, size, limitOf(limits, 'policies', 'maxBytes'));
  const text = await git.at(rev, ['show', '--end-of-options', `${rev}:${file}`]);
  const keys = text.split('\n').filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#')).length;
  checkCount(file, field, keys, limitOf(limits, 'policies', 'maxSigners'), 'signers');
  return text;
}

const VERDICT: Record<string, string> = {
  N: 'the commit is not signed',
  U: `signed by a key that is not in ${ALLOWED_SIGNERS} of the previous commit`,
  B: 'the signature does not match the commit (tampered)',
  X: 'the signature has expired',
  Y: 'signed by an expired key',
  R: 'signed by a revoked key',
  E: 'the signature cannot be checked',
};

/**
 * Whether policies/lucid.yaml lets this commit in unsigned. Read like the
 * signers file, from the parent when the parent has one: otherwise an unsigned
 * commit could write `unsignedCommits: true` into an existing lucid.yaml and
 * vouch for itself. So a change to an existing opt-out, on or off, takes
 * effect from the next commit. A commit may bring the repo's first lucid.yaml
 * itself, as it may bring the first signers file: before it there was no
 * trusted state to weaken (a parent with neither signers nor opt-out was
 * refused). Once the repo has had signers, the opt-out is never read.
 */
async function unsignedOptOut(git: CommitReads, sha: string): Promise<boolean> {
  const parent = await parentOf(git, sha);
  for (const rev of parent ? [parent, sha] : [sha]) {
    const size = await blobSize(git, rev, OPT_OUT_FILE);
    if (size === undefined) continue;
    checkSize(OPT_OUT_FILE, `commit ${rev.slice(0, 12)}`, size, { max: OPT_OUT_MAX_BYTES });
    const text = await git.at(rev, ['show', '--end-of-options', `${rev}:${OPT_OUT_FILE}`]);
    try {
      return parseInsecureOptOut(text).has('unsignedCommits');
    } catch (err) {
      if (!(err instanceof ConfigError) || rev === sha) throw err;
      throw new ConfigError(err.file, err.field, `${err.reason} (in commit ${rev.slice(0, 12)}, the parent, whose opt-out counts)`);
    }
  }
  return false;
}

const MISSING_SIGNERS =
  'missing: commits must be SSH-signed by a key listed here (lines `<principal> namespaces="git" <public key>`; ' +
  'sign with `git -c gpg.format=ssh -c user.signingkey=<key> commit -S`), ' +
  `or the repo opts out, visibly, with insecure: {unsignedCommits: true} in ${OPT_OUT_FILE}`;

/**
 * The commit-signature gate (SPEC-3 M9), on by default. A commit must carry an
 * SSH signature by a key in git's allowed-signers file as it stood before the
 * commit (trustedPolicyFile), so a change to that file is accepted only when
 * signed by a key already trusted; a repo's first signers file is trusted on
 * first use, checked against itself. Once a repo has had the file, deleting it
 * is refused. A repo that never had one is refused unless policies/lucid.yaml
 * opts out of the gate; `optedOut` then says so, for every place that shows it.
 */
export async function verifyCommitSignature(gitDir: string, sha: string): Promise<{ signer?: string; optedOut?: true }> {
  const signers = await trustedPolicyFile(gitDir, sha, ALLOWED_SIGNERS);
  if (signers === undefined) {
    await refuseDeletedPolicy(gitDir, sha, ALLOWED_SIGNERS, 'the commit-signature gate');
    if (await unsignedOptOut(new CommitReads(gitDir), sha)) return { optedOut: true };
    throw new ConfigError(ALLOWED_SIGNERS, '(file)', MISSING_SIGNERS);
  }

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-signers-'));
  const file = path.join(dir, 'allowed-signers');
  try {
    fs.writeFileSync(file, signers);
    const out = await git(['log', '-1', '--format=%G?%x00%GS', '--end-of-options', sha, '--'], {
      cwd: gitDir,
      config: [`gpg.ssh.allowedSignersFile=${file}`],
    });
    const [status, signer] = out.trim().split('\0');
    if (status !== 'G') {
      throw new ConfigError(ALLOWED_SIGNERS, `commit ${sha.slice(0, 12)}`, VERDICT[status ?? 'E'] ?? VERDICT.E!);
    }
    await refuseDeletedPolicy(gitDir, sha, ALLOWED_SIGNERS, 'the commit-signature gate');
    return { signer };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
