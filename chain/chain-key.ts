import * as fs from 'node:fs';
import type { Hex } from 'viem';

/**
 * Reads the anchoring key (LUCID_CHAIN_KEY_FILE): 0x and 64 hex digits, in a file only this user
 * can read. Errors name the file and what is wrong with it, never its contents.
 */
export function readChainKeyFile(file: string): Hex {
  assertPrivateFile(file, 'chain key');
  const text = fs.readFileSync(file, 'utf8').trim();
  const key = text.startsWith('0x') ? text : `0x${text}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(key)) throw new Error(`chain key ${file}: not a 32-byte hex key (0x and 64 hex digits)`);
  return key as Hex;
}

/**
 * Refuses a secret's file that another user owns or that group or others may read or write;
 * the error names the file and its owner and mode, never its contents.
 */
export function assertPrivateFile(file: string, what: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    throw new Error(`${what} ${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const uid = process.getuid?.();
  if ((uid !== undefined && st.uid !== uid) || (st.mode & 0o077) !== 0) {
    throw new Error(`${what} ${file}: must be a private file of this user (owner ${st.uid}, mode ${(st.mode & 0o777).toString(8)}; chmod 400 it)`);
  }
}
