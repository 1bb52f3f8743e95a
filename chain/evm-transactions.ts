import {
  BaseError,
  ContractFunctionRevertedError,
  HttpRequestError,
  TimeoutError,
  keccak256,
  type Address,
  type Hex,
  type PublicClient,
} from 'viem';
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';

/**
 * What every EVM adapter (AnchorChain, EvmPayoutChain) does the same way through viem: a key
 * turned into a signer without its text reaching an error, fees that survive a rebroadcast,
 * offline signing with the hash known before broadcast, and the node's answers classified.
 */

/** What a node said to a broadcast: `known` (already in its pool), `nonce-used` (mined, or another tx took the nonce: look the hash up). */
export type BroadcastOutcome = 'accepted' | 'known' | 'nonce-used';

export type EvmFees = { type: 'eip1559'; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint } | { type: 'legacy'; gasPrice: bigint };

/** The key's own text never reaches an error: a bad key is reported as such, nothing more. */
export function signerOf(privateKey: Hex, what: string): PrivateKeyAccount {
  if (!/^0x[0-9a-fA-F]{64}$/.test(privateKey)) throw new Error(`${what}: not 0x and 64 hex digits`);
  try {
    return privateKeyToAccount(privateKey);
  } catch {
    throw new Error(`${what}: not a valid secp256k1 private key`);
  }
}

/**
 * EIP-1559 fees with twice the base fee as the cap, so the same signed bytes still get mined
 * when rebroadcast a few full blocks later; legacy gas price on chains without a base fee.
 */
export async function feesOf(client: PublicClient): Promise<EvmFees> {
  const block = await client.getBlock({ blockTag: 'latest' });
  if (block.baseFeePerGas == null) return { type: 'legacy', gasPrice: await client.getGasPrice() };
  const tip = await client.estimateMaxPriorityFeePerGas();
  return { type: 'eip1559', maxFeePerGas: block.baseFeePerGas * 2n + tip, maxPriorityFeePerGas: tip };
}

/** Signs a contract call offline; the hash is keccak256 of the bytes, known before they are sent. */
export async function signCall(
  account: PrivateKeyAccount,
  tx: { chainId: number; nonce: number; to: Address; data: Hex; gasEstimate: bigint; fees: EvmFees },
): Promise<{ raw: Hex; hash: Hex }> {
  // A fifth on top of the estimate: a rebroadcast may land in a block whose state costs a little more.
  const base = { chainId: tx.chainId, nonce: tx.nonce, to: tx.to, data: tx.data, gas: (tx.gasEstimate * 6n) / 5n };
  const { fees } = tx;
  const raw = await account.signTransaction(
    fees.type === 'eip1559'
      ? { ...base, type: 'eip1559', maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas }
      : { ...base, type: 'legacy', gasPrice: fees.gasPrice },
  );
  return { raw, hash: keccak256(raw) };
}

/**
 * Sends signed bytes. A node that has them already, or whose account nonce moved past them, is
 * not an error: the caller looks the hash up. Any other failure is thrown as the node gave it.
 */
export async function sendRaw(client: PublicClient, raw: Hex): Promise<BroadcastOutcome> {
  try {
    await client.sendRawTransaction({ serializedTransaction: raw });
    return 'accepted';
  } catch (e) {
    const text = errorText(e).toLowerCase();
    if (/already known|already imported|known transaction|already exists/.test(text)) return 'known';
    if (/nonce too low|nonce has already been used|oldnonce/.test(text)) return 'nonce-used';
    throw e;
  }
}

/** No answer from the RPC (retry later), as opposed to an answer that said no. */
export function isUnreachable(e: unknown): boolean {
  return e instanceof BaseError && e.walk((c) => c instanceof HttpRequestError || c instanceof TimeoutError) !== null;
}

/** The contract's revert inside a viem error, if that is what it is. */
export function revertOf(e: unknown): ContractFunctionRevertedError | undefined {
  if (!(e instanceof BaseError)) return undefined;
  return (e.walk((c) => c instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null) ?? undefined;
}

export function errorText(e: unknown): string {
  if (e instanceof BaseError) return e.details && e.details !== e.shortMessage ? `${e.shortMessage}: ${e.details}` : e.shortMessage;
  return e instanceof Error ? e.message : String(e);
}
