import {
  BlockNotFoundError,
  TransactionReceiptNotFoundError,
  createPublicClient,
  encodeFunctionData,
  getAddress,
  http,
  isAddress,
  keccak256,
  parseEventLogs,
  type Address,
  type Hex,
  type PublicClient,
} from 'viem';
import { z } from 'zod';
import { hash32 } from '../anchoring/batch-tree';
import { errorText, feesOf, isUnreachable, revertOf, sendRaw, signCall, signerOf, type BroadcastOutcome } from './evm-transactions';
import { lucidAnchorAbi } from './lucid-anchor-abi';

export type { BroadcastOutcome } from './evm-transactions';

export const addressSchema = z.string().refine((a) => isAddress(a, { strict: false }), 'must be a 20-byte 0x address').transform((a) => getAddress(a));

export const anchorBatchSchema = z.object({
  batchId: hash32,
  root: hash32,
  count: z.number().int().positive().max(2 ** 53 - 1),
});
export type AnchorBatch = z.input<typeof anchorBatchSchema>;

export interface SignedAnchor {
  /** The signed transaction, to store before it is broadcast and to rebroadcast byte for byte. */
  raw: Hex;
  /** keccak256(raw): the hash the chain will know the transaction by. */
  hash: Hex;
  nonce: number;
  from: Address;
}

export interface AnchoredEvent {
  batchId: Hex;
  root: Hex;
  count: number;
  anchoredAt: number;
  blockNumber: number;
  blockHash: Hex;
  txHash: Hex;
  logIndex: number;
}

export interface AnchorReceipt {
  status: 'success' | 'reverted';
  blockNumber: number;
  blockHash: Hex;
  /** Log index (in the block) of the transaction's first Anchored event; null when it emitted none. */
  logIndex: number | null;
  /** head - blockNumber + 1: 1 once mined. */
  confirmations: number;
  events: AnchoredEvent[];
}

export type AnchorRefusalReason = 'unauthorized' | 'already-anchored' | 'empty-batch' | 'reverted';

export type AnchorSimulation =
  | { ok: true }
  | { ok: false; reason: AnchorRefusalReason; message: string; /** set for already-anchored */ anchoredRoot?: Hex };

/**
 * `unreachable`: no answer from the RPC (retry later); `refused`: the contract reverted (retrying
 * the same call cannot help); `rpc`: any other error the node returned.
 */
export type AnchorChainErrorKind = 'unreachable' | 'refused' | 'rpc';

/** Names the operation, the batch and the transaction; never carries a key. */
export class AnchorChainError extends Error {
  constructor(
    readonly kind: AnchorChainErrorKind,
    readonly op: string,
    message: string,
    readonly batchId?: Hex,
    readonly txHash?: Hex,
    readonly refusal?: AnchorRefusalReason,
  ) {
    super(message);
  }
}

/** LucidAnchor on one EVM chain, through viem: reads, offline signing and broadcast kept apart. */
export class AnchorChain {
  readonly rpcUrl: string;
  readonly contract: Address;
  private readonly client: PublicClient;
  private cachedChainId?: number;

  constructor(opts: { rpcUrl: string; contract: string }) {
    const contract = addressSchema.safeParse(opts.contract);
    if (!contract.success) throw new Error(`AnchorChain: contract ${opts.contract}: ${contract.error.issues[0]!.message}`);
    if (!/^https?:\/\//.test(opts.rpcUrl)) throw new Error(`AnchorChain: rpcUrl ${opts.rpcUrl}: must be an http(s) URL`);
    this.rpcUrl = opts.rpcUrl;
    this.contract = contract.data;
    // Callers (Temporal activities) own retries and their timing; one quick retry covers a dropped connection.
    this.client = createPublicClient({ transport: http(opts.rpcUrl, { retryCount: 1, timeout: 10_000 }) });
  }

  async chainId(): Promise<number> {
    this.cachedChainId ??= await this.call('chainId', () => this.client.getChainId());
    return this.cachedChainId;
  }

  async head(): Promise<{ number: number; hash: Hex }> {
    const b = await this.call('head', () => this.client.getBlock({ blockTag: 'latest' }));
    return { number: Number(b.number), hash: b.hash };
  }

  /** The canonical block's hash at `n`, or null beyond the head. */
  async blockHash(n: number): Promise<Hex | null> {
    try {
      return (await this.client.getBlock({ blockNumber: BigInt(n) })).hash;
    } catch (e) {
      if (e instanceof BlockNotFoundError) return null;
      throw this.wrap('blockHash', e);
    }
  }

  /** The root the contract holds for `batchId`, or null if it was never anchored (on this chain, as of its head). */
  async anchoredRoot(batchId: Hex): Promise<Hex | null> {
    const root = await this.call(
      'anchoredRoot',
      () => this.client.readContract({ address: this.contract, abi: lucidAnchorAbi, functionName: 'rootOf', args: [batchId] }),
      batchId,
    );
    return /^0x0{64}$/.test(root) ? null : root;
  }

  async isAuthorized(sender: Address): Promise<boolean> {
    return this.call('isAuthorized', () =>
      this.client.readContract({ address: this.contract, abi: lucidAnchorAbi, functionName: 'authorized', args: [sender] }),
    );
  }

  /** Runs the call as `from` without sending it: says why the contract would refuse it. */
  async simulateAnchor(from: Address, batch: AnchorBatch): Promise<AnchorSimulation> {
    const b = parseBatch(batch);
    try {
      await this.client.simulateContract({
        account: from,
        address: this.contract,
        abi: lucidAnchorAbi,
        functionName: 'anchor',
        args: [b.batchId, b.root, BigInt(b.count)],
      });
      return { ok: true };
    } catch (e) {
      const refusal = refusalOf(e);
      if (refusal) return { ok: false, ...refusal };
      throw this.wrap('simulateAnchor', e, b.batchId);
    }
  }

  /**
   * Signs `anchor(batchId, root, count)` with the key, offline: the nonce (the account's pending
   * count unless given), gas and fees come from the node, nothing is sent. A batch the contract
   * would refuse throws a `refused` AnchorChainError naming why.
   */
  async signAnchor(privateKey: Hex, batch: AnchorBatch, nonce?: number): Promise<SignedAnchor> {
    const b = parseBatch(batch);
    const account = signerOf(privateKey, 'anchoring key');
    const chainId = await this.chainId();
    const args = [b.batchId, b.root, BigInt(b.count)] as const;
    const call = { address: this.contract, abi: lucidAnchorAbi, functionName: 'anchor', args, account: account.address } as const;
    const [gas, txNonce, fees] = await Promise.all([
      this.client.estimateContractGas(call).catch((e: unknown) => {
        const refusal = refusalOf(e);
        if (refusal) throw new AnchorChainError('refused', 'signAnchor', `anchor ${b.batchId}: ${refusal.message}`, b.batchId, undefined, refusal.reason);
        throw this.wrap('signAnchor: estimate gas', e, b.batchId);
      }),
      nonce ?? this.call('signAnchor: nonce', () => this.client.getTransactionCount({ address: account.address, blockTag: 'pending' }), b.batchId),
      this.call('signAnchor: fees', () => feesOf(this.client), b.batchId),
    ]);
    const data = encodeFunctionData({ abi: lucidAnchorAbi, functionName: 'anchor', args });
    const { raw, hash } = await signCall(account, { chainId, nonce: txNonce, to: this.contract, data, gasEstimate: gas, fees });
    return { raw, hash, nonce: txNonce, from: account.address };
  }

  /** Sends signed bytes. A node that has them already, or whose account nonce moved past them, is not an error: the caller looks the hash up. */
  async broadcast(raw: Hex): Promise<BroadcastOutcome> {
    return this.call('broadcast', () => sendRaw(this.client, raw), undefined, keccak256(raw));
  }

  /** The mined transaction's receipt on the canonical chain, or null while it is not there (pending, dropped, or its block lost). */
  async receipt(hash: Hex): Promise<AnchorReceipt | null> {
    let r;
    try {
      r = await this.client.getTransactionReceipt({ hash });
    } catch (e) {
      if (e instanceof TransactionReceiptNotFoundError) return null;
      throw this.wrap('receipt', e, undefined, hash);
    }
    const head = await this.head();
    const events = parseEventLogs({ abi: lucidAnchorAbi, eventName: 'Anchored', logs: r.logs })
      .filter((l) => getAddress(l.address) === this.contract)
      .map(toEvent);
    return {
      status: r.status,
      blockNumber: Number(r.blockNumber),
      blockHash: r.blockHash,
      logIndex: events[0]?.logIndex ?? null,
      confirmations: head.number - Number(r.blockNumber) + 1,
      events,
    };
  }

  /** Anchored events of the contract in [fromBlock, toBlock], in chain order. */
  async anchoredEvents(fromBlock: number, toBlock: number): Promise<AnchoredEvent[]> {
    const logs = await this.call('anchoredEvents', () =>
      this.client.getContractEvents({
        address: this.contract,
        abi: lucidAnchorAbi,
        eventName: 'Anchored',
        fromBlock: BigInt(fromBlock),
        toBlock: BigInt(toBlock),
        strict: true,
      }),
    );
    return logs.map(toEvent);
  }

  /** The event that anchored a batch, found through the block the contract recorded for it; null while it is not anchored. */
  async anchorEventOf(batchId: Hex): Promise<AnchoredEvent | null> {
    const [, , block] = await this.call(
      'anchorEventOf',
      () => this.client.readContract({ address: this.contract, abi: lucidAnchorAbi, functionName: 'batches', args: [batchId] }),
      batchId,
    );
    if (block === 0n) return null;
    const logs = await this.call(
      'anchorEventOf',
      () =>
        this.client.getContractEvents({
          address: this.contract,
          abi: lucidAnchorAbi,
          eventName: 'Anchored',
          args: { batchId },
          fromBlock: block,
          toBlock: block,
          strict: true,
        }),
      batchId,
    );
    return logs.length ? toEvent(logs[0]!) : null;
  }

  /** How many transactions the account has had mined: a signed nonce below it was used, by this or another transaction. */
  async nonceOf(address: Address): Promise<number> {
    return this.call('nonceOf', () => this.client.getTransactionCount({ address, blockTag: 'latest' }));
  }

  /** The address a key signs as; the key itself stays with the caller. */
  addressOf(privateKey: Hex): Address {
    return signerOf(privateKey, 'anchoring key').address;
  }

  /** The contract's own check of an inclusion path (LucidAnchor.verifyInclusion), as any EVM node runs it. */
  async verifyInclusion(batchId: Hex, leaf: Hex, index: number, size: number, path: readonly Hex[]): Promise<boolean> {
    return this.call(
      'verifyInclusion',
      () =>
        this.client.readContract({
          address: this.contract,
          abi: lucidAnchorAbi,
          functionName: 'verifyInclusion',
          args: [batchId, leaf, BigInt(index), BigInt(size), path],
        }),
      batchId,
    );
  }

  private async call<T>(op: string, fn: () => Promise<T>, batchId?: Hex, txHash?: Hex): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw this.wrap(op, e, batchId, txHash);
    }
  }

  private wrap(op: string, e: unknown, batchId?: Hex, txHash?: Hex): AnchorChainError {
    if (e instanceof AnchorChainError) return e;
    const about = [batchId && `batch ${batchId}`, txHash && `tx ${txHash}`].filter(Boolean).join(', ');
    const where = `${op}${about ? ` (${about})` : ''}`;
    if (isUnreachable(e)) {
      return new AnchorChainError('unreachable', op, `${where}: chain RPC ${this.rpcUrl} did not answer: ${errorText(e)}`, batchId, txHash);
    }
    const refusal = refusalOf(e);
    if (refusal) return new AnchorChainError('refused', op, `${where}: ${refusal.message}`, batchId, txHash, refusal.reason);
    return new AnchorChainError('rpc', op, `${where}: ${errorText(e)}`, batchId, txHash);
  }
}

function parseBatch(batch: AnchorBatch): z.output<typeof anchorBatchSchema> {
  const b = anchorBatchSchema.safeParse(batch);
  if (!b.success) {
    const i = b.error.issues[0]!;
    throw new Error(`anchor batch ${String((batch as { batchId?: unknown }).batchId)}: ${i.path.join('.')}: ${i.message}`);
  }
  return b.data;
}

function toEvent(l: {
  args: { batchId: Hex; root: Hex; count: bigint; anchoredAt: bigint };
  blockNumber: bigint;
  blockHash: Hex;
  transactionHash: Hex;
  logIndex: number;
}): AnchoredEvent {
  return {
    batchId: l.args.batchId,
    root: l.args.root,
    count: Number(l.args.count),
    anchoredAt: Number(l.args.anchoredAt),
    blockNumber: Number(l.blockNumber),
    blockHash: l.blockHash,
    txHash: l.transactionHash,
    logIndex: l.logIndex,
  };
}

function refusalOf(e: unknown): { reason: AnchorRefusalReason; message: string; anchoredRoot?: Hex } | undefined {
  const reverted = revertOf(e);
  if (!reverted) return undefined;
  const args = (reverted.data?.args ?? []) as readonly unknown[];
  switch (reverted.data?.errorName) {
    case 'NotAuthorized':
      return { reason: 'unauthorized', message: `the contract refused: sender ${String(args[0])} is not authorised to anchor` };
    case 'AlreadyAnchored':
      return { reason: 'already-anchored', message: `the contract refused: batch ${String(args[0])} is already anchored (root ${String(args[1])})`, anchoredRoot: args[1] as Hex };
    case 'EmptyBatch':
      return { reason: 'empty-batch', message: `the contract refused: batch ${String(args[0])} has a zero root or count` };
    default:
      return { reason: 'reverted', message: `the contract reverted: ${reverted.reason ?? reverted.shortMessage}` };
  }
}
