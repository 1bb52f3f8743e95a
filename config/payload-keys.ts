import { z } from 'zod';
import { EnvError } from './parse-env';

export interface PayloadKey {
  id: string;
  key: Buffer;
}

const entrySchema = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,32}:[A-Za-z0-9+/]{43}=$/, 'each entry is <key id>:<32-byte key in base64>');

/**
 * `LUCID_PAYLOAD_KEYS=<id>:<base64>,<older id>:<base64>,...`: the first key
 * encrypts, every key decrypts, so a rotation prepends a key and drops the old
 * one only once no history needs it. Undefined when the variable is unset.
 */
export function payloadKeys(env: NodeJS.ProcessEnv = process.env): PayloadKey[] | undefined {
  const raw = env.LUCID_PAYLOAD_KEYS;
  if (!raw) return undefined;
  const keys = raw.split(',').map((entry, i) => {
    const parsed = entrySchema.safeParse(entry.trim());
    if (!parsed.success) throw new EnvError('LUCID_PAYLOAD_KEYS', `entry ${i + 1}: ${parsed.error.issues[0]!.message}`);
    const [id, b64] = parsed.data.split(':') as [string, string];
    return { id, key: Buffer.from(b64, 'base64') };
  });
  if (new Set(keys.map((k) => k.id)).size !== keys.length) throw new EnvError('LUCID_PAYLOAD_KEYS', 'a key id appears twice');
  return keys;
}
