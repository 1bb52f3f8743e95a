import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface GitSigningKey {
  /** The private key file, for `git -c gpg.format=ssh -c user.signingkey=<file> commit -S`. */
  keyFile: string;
  /** Its line of policies/allowed-signers. */
  allowedSigner: string;
}

/**
 * An SSH key that signs config-repo commits (an ed25519 key without a
 * passphrase, made by ssh-keygen once and kept): the demo's repo outlives a
 * run, and its allowed-signers file trusts only the key that signed it.
 */
export function gitSigningKey(dir: string, principal: string): GitSigningKey {
  const keyFile = path.join(dir, 'id_ed25519');
  if (!fs.existsSync(keyFile)) {
    fs.mkdirSync(dir, { recursive: true });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', principal, '-f', keyFile]);
  }
  const publicKey = fs.readFileSync(`${keyFile}.pub`, 'utf8').trim();
  return { keyFile, allowedSigner: `${principal} namespaces="git" ${publicKey}` };
}
