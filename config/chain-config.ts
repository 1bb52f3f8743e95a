import * as fs from 'node:fs';
import { z } from 'zod';
import { EnvError, parseEnv } from './parse-env';

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte address');

const chainEnvSchema = z.object({
  /** Any EVM JSON-RPC endpoint; the embedded stack's anvil by default. */
  LUCID_CHAIN_RPC: z.string().url('must be an http(s) URL').optional(),
  LUCID_CHAIN_CONTRACT: address.optional(),
  LUCID_ANCHOR_MAX_BATCH: z.coerce.number().int().min(1).max(4096).default(64),
  LUCID_ANCHOR_MAX_WAIT_SECONDS: z.coerce.number().int().min(1).max(86_400).default(30),
  LUCID_ANCHOR_CONFIRMATIONS: z.coerce.number().int().min(1).max(1000).default(1),
});

export interface ChainEndpoint {
  rpcUrl: string;
  contract: `0x${string}`;
}

/** How sessions are batched for anchoring: the anchor batcher's settings, from the control worker's environment. */
export interface AnchorSettings {
  maxBatch: number;
  maxWaitSeconds: number;
  confirmations: number;
}

export function batcherSettings(env: NodeJS.ProcessEnv = process.env): AnchorSettings {
  const e = parseEnv(chainEnvSchema, env);
  return { maxBatch: e.LUCID_ANCHOR_MAX_BATCH, maxWaitSeconds: e.LUCID_ANCHOR_MAX_WAIT_SECONDS, confirmations: e.LUCID_ANCHOR_CONFIRMATIONS };
}

/** The chain and anchor contract, when configured (LUCID_CHAIN_RPC and LUCID_CHAIN_CONTRACT). */
export function chainEndpoint(env: NodeJS.ProcessEnv = process.env): ChainEndpoint | undefined {
  const e = parseEnv(chainEnvSchema, env);
  if (!e.LUCID_CHAIN_RPC && !e.LUCID_CHAIN_CONTRACT) return undefined;
  if (!e.LUCID_CHAIN_RPC) throw new EnvError('LUCID_CHAIN_RPC', 'is not set, but LUCID_CHAIN_CONTRACT is');
  if (!e.LUCID_CHAIN_CONTRACT) throw new EnvError('LUCID_CHAIN_CONTRACT', 'is not set, but LUCID_CHAIN_RPC is');
  return { rpcUrl: e.LUCID_CHAIN_RPC, contract: e.LUCID_CHAIN_CONTRACT as `0x${string}` };
}

export function requireChainEndpoint(env: NodeJS.ProcessEnv = process.env): ChainEndpoint {
  const c = chainEndpoint(env);
  if (!c) throw new EnvError('LUCID_CHAIN_RPC', 'is not set (an EVM JSON-RPC URL), nor LUCID_CHAIN_CONTRACT');
  return c;
}

/**
 * The anchoring key, from LUCID_CHAIN_KEY_FILE (hex, on tmpfs or a sealed
 * mount) and only in the chain worker. The file must be this user's alone.
 */
export function chainKey(env: NodeJS.ProcessEnv = process.env): `0x${string}` {
  const file = env.LUCID_CHAIN_KEY_FILE;
  if (!file) throw new EnvError('LUCID_CHAIN_KEY_FILE', 'is not set (a file holding the anchoring key as 0x-hex)');
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (err) {
    throw new EnvError('LUCID_CHAIN_KEY_FILE', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if ((st.mode & 0o077) !== 0) throw new EnvError('LUCID_CHAIN_KEY_FILE', `${file} is readable by others (mode ${(st.mode & 0o777).toString(8)}); chmod 0400 it`);
  const text = fs.readFileSync(file, 'utf8').trim();
  if (!/^0x[0-9a-fA-F]{64}$/.test(text)) throw new EnvError('LUCID_CHAIN_KEY_FILE', `${file} does not hold a 0x-prefixed 32-byte hex key`);
  return text as `0x${string}`;
}
