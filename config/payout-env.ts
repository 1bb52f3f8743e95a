import { z } from 'zod';
import { EnvError, parseEnv } from './parse-env';

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte address');

const payoutEnvSchema = z.object({
  LUCID_CHAIN_RPC: z.string().url('must be an http(s) URL').optional(),
  /** The token the routers pay (USDT on TRON; the stack's 6-decimal test token on anvil). */
  LUCID_PAYOUT_TOKEN: address.optional(),
  LUCID_PAYOUT_ROUTER_PR0: address.optional(),
  LUCID_PAYOUT_ROUTER_PRKYC: address.optional(),
  /** The encrypted keystore and its password file: read by `lucid worker wallet` only. */
  LUCID_WALLET_KEYSTORE: z.string().min(1).optional(),
  LUCID_WALLET_PASSWORD_FILE: z.string().min(1).optional(),
});

export interface PayoutEndpoint {
  rpcUrl: string;
  token: `0x${string}`;
  routers: { PR0: `0x${string}`; PRKYC: `0x${string}` };
}

/** The payout routers the wallet worker pays through. */
export function requirePayoutEndpoint(env: NodeJS.ProcessEnv = process.env): PayoutEndpoint {
  const e = parseEnv(payoutEnvSchema, env);
  const need = (name: keyof typeof e, what: string): string => {
    const v = e[name];
    if (!v) throw new EnvError(name, `is not set (${what})`);
    return v;
  };
  return {
    rpcUrl: need('LUCID_CHAIN_RPC', 'an EVM JSON-RPC URL'),
    token: need('LUCID_PAYOUT_TOKEN', "the payout token's address") as `0x${string}`,
    routers: {
      PR0: need('LUCID_PAYOUT_ROUTER_PR0', 'the PR0 router address') as `0x${string}`,
      PRKYC: need('LUCID_PAYOUT_ROUTER_PRKYC', 'the PRKYC router address') as `0x${string}`,
    },
  };
}

/** Where the payout keystore is; the key itself is decrypted by the wallet worker and stays in its memory. */
export function walletKeystore(env: NodeJS.ProcessEnv = process.env): { keystore: string; passwordFile: string } {
  const e = parseEnv(payoutEnvSchema, env);
  if (!e.LUCID_WALLET_KEYSTORE) throw new EnvError('LUCID_WALLET_KEYSTORE', 'is not set (the payout keystore file)');
  if (!e.LUCID_WALLET_PASSWORD_FILE) throw new EnvError('LUCID_WALLET_PASSWORD_FILE', "is not set (the keystore's password file)");
  return { keystore: e.LUCID_WALLET_KEYSTORE, passwordFile: e.LUCID_WALLET_PASSWORD_FILE };
}
