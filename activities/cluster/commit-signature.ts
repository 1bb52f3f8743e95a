import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { simpleGit } from 'simple-git';
import { ConfigError } from '../../config/config-error';

export const ALLOWED_SIGNERS = 'policies/allowed-signers';

/**
 * A policy file as it stood in the commit's parent (the commit's own only when
 * the parent has none): a commit never vouches for itself.
 */
export async function trustedPolicyFile(gitDir: string, sha: string, file: string): Promise<string | undefined> {
  const git = simpleGit(gitDir);
  const parent = (await git.raw(['rev-list', '--parents', '-n', '1', sha])).trim().split(' ')[1];
  const read = (rev: string) => git.raw(['show', `${rev}:${file}`]).catch(() => undefined);
  return (parent ? await read(parent) : undefined) ?? (await read(sha));
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
      'log', '-1', '--format=%G?%x00%GS', sha, '--',
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
