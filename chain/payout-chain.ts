import type { Address, Hex } from 'viem';
import type { BroadcastOutcome } from './anchor-chain';

/**
 * What the payout plane needs of a chain, whichever it is: the embedded EVM chain (viem) or
 * TRON (tronweb, signed offline). Both run the same LucidPayoutRouter bytecode, so the call
 * data of `payBatch` is byte-equal on both.
 */

/** PR0 pays anyone; PRKYC pays only recipients on its KYC list (SPEC-4's payout routers). */
export type RouterName = 'PR0' | 'PRKYC';

export interface PayoutLine {
  /** The recipient's 20-byte EVM form (a TRON address is the same key). */
  recipient: Address;
  /** In token base units (USDT: 6 decimals). */
  amount: bigint;
  /** The line's reason codes, packed into one bytes32 by the payout plane. */
  reasons: Hex;
}

export interface PayBatch {
  router: RouterName;
  /** Derived from (chain, period, router, statement): the router refuses one it has paid. */
  batchId: Hex;
  lines: PayoutLine[];
}

/** A signed payBatch, stored before broadcast so a retry sends the same bytes. */
export interface SignedPayout {
  raw: Hex;
  hash: Hex;
  nonce: number;
  from: Address;
}

export type PayoutRefusalReason = 'already-paid' | 'over-cap' | 'not-kyc' | 'insufficient-funds' | 'unauthorized' | 'empty-batch' | 'reverted';

export type PayoutSimulation =
  | { ok: true; gas: bigint }
  | { ok: false; reason: PayoutRefusalReason; message: string };

export interface PaidLine {
  batchId: Hex;
  recipient: Address;
  amount: bigint;
  reasons: Hex;
  logIndex: number;
}

export interface PayoutReceipt {
  status: 'success' | 'reverted';
  blockNumber: number;
  blockHash: Hex;
  /** head - blockNumber + 1: 1 once mined. */
  confirmations: number;
  gasUsed: bigint;
  lines: PaidLine[];
}

export interface PayoutChain {
  /** `evm:<chainId>` or `tron:<mode>`: part of every batch id. */
  readonly chain: string;
  routerAddress(router: RouterName): Address;
  /** The router call simulated (eth_call) from the wallet's address: the dry run. */
  simulate(batch: PayBatch, from: Address): Promise<PayoutSimulation>;
  isPaid(router: RouterName, batchId: Hex): Promise<boolean>;
  balanceOf(holder: Address): Promise<bigint>;
  /** Wallet plane only: the key never leaves the process that calls this. */
  sign(batch: PayBatch, key: Hex): Promise<SignedPayout>;
  broadcast(raw: Hex): Promise<BroadcastOutcome>;
  /** Null while the transaction is unknown or pending (or vanished with a lost block). */
  receipt(hash: Hex): Promise<PayoutReceipt | null>;
}

/**
 * `unreachable`: no answer from the node (retry later); `refused`: the router refused the batch
 * (retrying the same call cannot help; `already-paid` is success to the plane); `rpc`: any other
 * error the node returned.
 */
export type PayoutChainErrorKind = 'unreachable' | 'refused' | 'rpc';

/** Names the operation, the router, the batch and the transaction; never carries a key. */
export class PayoutChainError extends Error {
  constructor(
    readonly kind: PayoutChainErrorKind,
    readonly op: string,
    message: string,
    readonly about: { router?: RouterName; batchId?: Hex; txHash?: Hex } = {},
    readonly refusal?: PayoutRefusalReason,
  ) {
    super(message);
  }
}

/** The router's revert strings (contracts/LucidPayoutRouter.sol), as the plane reads them. */
export function refusalOfRevert(message: string): PayoutRefusalReason {
  if (message.includes('batch already paid')) return 'already-paid';
  if (message.includes('over batch cap')) return 'over-cap';
  if (message.includes('recipient not KYC')) return 'not-kyc';
  if (message.includes('insufficient funds')) return 'insufficient-funds';
  if (message.includes('only payer')) return 'unauthorized';
  if (message.includes('empty batch')) return 'empty-batch';
  return 'reverted';
}
