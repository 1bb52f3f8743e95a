import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { ConfigError } from '../config/config-error';
import { LIMITS_FILE, checkCount, checkSize } from '../config/config-files';
import { DEFAULT_LIMITS, LIMITS_FILE_MAX_BYTES, limitOf, parseLimits, type Limits } from '../config/limits';

export const ALLOWED_SIGNERS = 'policies/allowed-signers';

/**
 * A policy file as it stood in the commit's parent (the commit's own only when
 * the parent has none): a commit never vouches for itself.
 */
export async function trustedPolicyFile(gitDir: string, sha: string, file: string): Promise<string | undefined> {
  const git = simpleGit(gitDir);
  const parent = (await git.raw(['rev-list', '--parents', '-n', '1', '--end-of-options', sha])).trim().split(' ')[1];
  const read = (rev: string) => readPolicyBlob(git, rev, file);
  return (parent ? await read(parent) : undefined) ?? (await read(sha));
}

/** Bytes of `rev:file`, undefined when the revision has no such file. */
async function blobSize(git: SimpleGit, rev: string, file: string): Promise<number | undefined> {
  const out = await git.raw(['cat-file', '-s', '--end-of-options', `${rev}:${file}`]).catch(() => undefined);
  return out === undefined ? undefined : Number(out.trim());
}

/** A revision's policies/limits.yaml over the defaults; the limits file itself has a fixed cap. */
async function limitsAt(git: SimpleGit, rev: string): Promise<Limits> {
  const size = await blobSize(git, rev, LIMITS_FILE);
  if (size === undefined) return DEFAULT_LIMITS;
  checkSize(LIMITS_FILE, `commit ${rev.slice(0, 12)}`, size, { max: LIMITS_FILE_MAX_BYTES });
  return parseLimits(await git.raw(['show', `${rev}:${LIMITS_FILE}`]));
}

/**
 * A signers file as it stands in `rev`, within that revision's limits: its
 * size is checked before git hands over a byte, its key lines after.
 */
async function readPolicyBlob(git: SimpleGit, rev: string, file: string): Promise<string | undefined> {
  const size = await blobSize(git, rev, file);
  if (size === undefined) return undefined;
  const limits = await limitsAt(git, rev);
  const field = `commit ${rev.slice(0, 12)}`;
  checkSize(file, field, size, limitOf(limits, 'policies', 'maxBytes'));
  const text = await git.raw(['show', '--end-of-options', `${rev}:${file}`]);
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
 * The commit-signature gate (SPEC-3 M9). A commit must carry an SSH signature
 * by a key in git's allowed-signers file as it stood in the commit's parent,
 * so a change to that file is accepted only when signed by a key already
 * trusted. Once a repo has the file, the gate cannot be switched off by
 * deleting it: that commit too is checked against its parent's file. A repo
 * that never had the file is not gated (its first signers file is trusted on
 * first use, checked against itself).
 */
export async function verifyCommitSignature(gitDir: string, sha: string): Promise<{ enforced: boolean; signer?: string }> {
  const signers = await trustedPolicyFile(gitDir, sha, ALLOWED_SIGNERS);
  if (signers === undefined) return { enforced: false };

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-signers-'));
  const file = path.join(dir, 'allowed-signers');
  try {
    fs.writeFileSync(file, signers);
    const out = await simpleGit({ baseDir: gitDir, config: [`gpg.ssh.allowedSignersFile=${file}`] }).raw([
      'log', '-1', '--format=%G?%x00%GS', '--end-of-options', sha, '--',
    ]);
    const [status, signer] = out.trim().split('\0');
    if (status !== 'G') {
      throw new ConfigError(ALLOWED_SIGNERS, `commit ${sha.slice(0, 12)}`, VERDICT[status ?? 'E'] ?? VERDICT.E!);
    }
    return { enforced: true, signer };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
