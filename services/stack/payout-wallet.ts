import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Address } from 'viem';
import { createKeystore, readKeystore } from '../../wallet/keystore';

/**
 * The embedded stack's payout wallet: a random key in an encrypted keystore, and the keystore's
 * random password in a file beside it, both 0400 in a 0700 directory under the data dir, made
 * once. Only the wallet worker is meant to open them; the stack reads the address alone.
 */
export function ensurePayoutKeystore(dir: string): { keystoreFile: string; passwordFile: string; address: Address } {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  const keystoreFile = path.join(dir, 'keystore.json');
  const passwordFile = path.join(dir, 'keystore.password');
  if (!fs.existsSync(passwordFile)) {
    if (fs.existsSync(keystoreFile)) throw new Error(`payout keystore ${keystoreFile}: its password file ${passwordFile} is gone; restore it, or remove both`);
    fs.writeFileSync(passwordFile, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o400, flag: 'wx' });
  }
  const address = fs.existsSync(keystoreFile) ? readKeystore(keystoreFile, passwordFile).address : createKeystore(keystoreFile, passwordFile);
  return { keystoreFile, passwordFile, address };
}
