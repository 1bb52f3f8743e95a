import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../config/config-error';
import { trustedPolicyFile } from './commit-signature';

export const BREAKGLASS_SIGNERS = 'policies/breakglass-signers';
export const BREAKGLASS_NAMESPACE = 'lucid-breakglass';
/** A break-glass signature is good for at most this long: an emergency, not a standing permission. */
export const BREAKGLASS_MAX_HOURS = 24;

/** What an operator signs: `ssh-keygen -Y sign -n lucid-breakglass -f <key> <file with this line>`. */
export function breakglassMessage(sha: string, expiresAt: string): string {
  return `lucid-breakglass ${sha} expires ${expiresAt}\n`;
}

/**
 * SPEC-3 M9 break-glass: an SSH signature (namespace lucid-breakglass) over the
 * commit and an expiry, by a key in policies/breakglass-signers as it stood
 * before the commit. Refused when expired, too far out, or signed by any other
 * key; returns the signer's principal.
 */
export function verifyBreakglass(args: { signers: string | undefined; sha: string; expiresAt: string; signature: string; now: Date }): string {
  const { sha, expiresAt, signature, now } = args;
  const field = `commit ${sha.slice(0, 12)}`;
  if (!args.signers) throw new ConfigError(BREAKGLASS_SIGNERS, field, 'no break-glass signers in the config repo');
  const expires = Date.parse(expiresAt);
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(expiresAt) || Number.isNaN(expires)) {
    throw new ConfigError(BREAKGLASS_SIGNERS, field, `expiry '${expiresAt}' is not a UTC time like 2026-01-31T23:00:00Z`);
  }
  if (expires <= now.getTime()) throw new ConfigError(BREAKGLASS_SIGNERS, field, `the break-glass signature expired at ${expiresAt}`);
  if (expires - now.getTime() > BREAKGLASS_MAX_HOURS * 3600_000) {
    throw new ConfigError(BREAKGLASS_SIGNERS, field, `expiry ${expiresAt} is more than ${BREAKGLASS_MAX_HOURS}h away`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-breakglass-'));
  try {
    fs.writeFileSync(path.join(dir, 'signers'), args.signers);
    fs.writeFileSync(path.join(dir, 'msg.sig'), signature);
    const ssh = (a: string[], input?: string) =>
      execFileSync('ssh-keygen', a, { cwd: dir, input, stdio: ['pipe', 'pipe', 'pipe'] }).toString().trim();
    let principal: string;
    try {
      principal = ssh(['-Y', 'find-principals', '-f', 'signers', '-n', BREAKGLASS_NAMESPACE, '-s', 'msg.sig']).split('\n')[0]!;
      ssh(['-Y', 'verify', '-f', 'signers', '-I', principal, '-n', BREAKGLASS_NAMESPACE, '-s', 'msg.sig'], breakglassMessage(sha, expiresAt));
    } catch {
      throw new ConfigError(BREAKGLASS_SIGNERS, field, 'the signature is not by a break-glass key, or not over this commit and expiry');
    }
    return principal;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function verifyBreakglassAt(gitDir: string, sha: string, expiresAt: string, signature: string, now = new Date()): Promise<string> {
  return verifyBreakglass({ signers: await trustedPolicyFile(gitDir, sha, BREAKGLASS_SIGNERS), sha, expiresAt, signature, now });
}
