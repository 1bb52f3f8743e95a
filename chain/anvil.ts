import { createPublicClient, http } from 'viem';

/** The dev chain's id, the one anvil and Hardhat use, which wallets know as a local chain. */
export const DEV_CHAIN_ID = 31337;

export interface AnvilOptions {
  host?: string;
  port: number;
  /** Loaded at start and dumped every `stateIntervalSeconds` and on SIGTERM; a SIGKILL loses the blocks since the last dump. */
  stateFile: string;
  stateIntervalSeconds?: number;
  chainId?: number;
}

export function anvilArgs(o: AnvilOptions): string[] {
  return [
    '--host', o.host ?? '127.0.0.1',
    '--port', String(o.port),
    '--chain-id', String(o.chainId ?? DEV_CHAIN_ID),
    '--state', o.stateFile,
    '--state-interval', String(o.stateIntervalSeconds ?? 1),
    '--silent',
  ];
}

/** The chain id the RPC answers with, or undefined while it does not answer. */
export async function rpcChainId(rpcUrl: string): Promise<number | undefined> {
  const client = createPublicClient({ transport: http(rpcUrl, { retryCount: 0, timeout: 2000 }) });
  return client.getChainId().catch(() => undefined);
}
