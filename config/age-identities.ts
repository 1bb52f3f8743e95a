import * as fs from 'node:fs';

/**
 * A worker's age identities (AGE-SECRET-KEY-1…), which open the SOPS files meant for it:
 * `LUCID_AGE_IDENTITY_FILE` (an age-keygen key file, e.g. on a sealed mount or a token) or `LUCID_AGE_IDENTITY` itself.
 */
export function ageIdentities(env: NodeJS.ProcessEnv = process.env): string[] {
  const file = env.LUCID_AGE_IDENTITY_FILE;
  const text = file ? fs.readFileSync(file, 'utf8') : (env.LUCID_AGE_IDENTITY ?? '');
  return text.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('AGE-SECRET-KEY-1'));
}
