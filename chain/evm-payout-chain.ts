import {
  TransactionReceiptNotFoundError,
  createPublicClient,
  getAddress,
  http,
  keccak256,
  parseEventLogs,
  type Address,
  type Hex,
  type PublicClient,
} from 'viem';
import { addressSchema } from './anchor-chain';
import { errorText, feesOf, isUnreachable, revertOf, sendRaw, signCall, signerOf, type BroadcastOutcome } from './evm-transactions';
import { lucidPayoutRouterAbi } from './lucid-payout-router-abi';
import { lucidTestTokenAbi } from './lucid-test-token-abi';
import { encodePayBatch, payBatchArgs } from './payout-call-data';
import {
  PayoutChainError,
  refusalOfRevert,
  type PayBatch,
  type PayoutChain,
  type PayoutReceipt,
  type PayoutRefusalReason,
  type PayoutSimulation,
  type RouterName,
  type SignedPayout,
} from './payout-chain';

export interface EvmPayoutChainOptions {
  rpcUrl: string;
  token: Address;
  routers: Record<RouterName, Address>;
}

/** The payout routers on one EVM chain (the embedded anvil, or any other), through viem. */
export class EvmPayoutChain implements PayoutChain {
  readonly chain: string;
  readonly chainId: number;
  readonly rpcUrl: string;
  readonly token: Address;
  private readonly routers: Record<RouterName, Address>;
  private readonly client: PublicClient;

  /** The chain id is part of every batch id, so it is given (PayoutProvision has it) or read by `connect`. */
  constructor(opts: EvmPayoutChainOptions & { chainId: number }) {
    if (!/^https?:\/\//.test(opts.rpcUrl)) throw new Error(`EvmPayoutChain: rpcUrl ${opts.rpcUrl}: must be an http(s) URL`);
    this.rpcUrl = opts.rpcUrl;
    this.chainId = opts.chainId;
    this.chain = `evm:${opts.chainId}`;
    this.token = checkedAddress('token', opts.token);
    this.routers = { PR0: checkedAddress('routers.PR0', opts.routers.PR0), PRKYC: checkedAddress('routers.PRKYC', opts.routers.PRKYC) };
    // Callers (Temporal activities) own retries and their timing; one quick retry covers a dropped connection.
    this.client = createPublicClient({ transport: http(opts.rpcUrl, { retryCount: 1, timeout: 10_000 }) });
  }

  /** Asks the node for its chain id, then builds the adapter. */
  static async connect(opts: EvmPayoutChainOptions): Promise<EvmPayoutChain> {
    const client = createPublicClient({ transport: http(opts.rpcUrl, { retryCount: 1, timeout: 10_000 }) });
    const chainId = await client.getChainId().catch((e: unknown) => {
      throw new PayoutChainError(isUnreachable(e) ? 'unreachable' : 'rpc', 'connect', `connect: chain RPC ${opts.rpcUrl}: ${errorText(e)}`);
    });
    return new EvmPayoutChain({ ...opts, chainId });
  }

  routerAddress(router: RouterName): Address {
    return this.routers[router];
  }

  /** The call run as `from` (eth_call, then a gas estimate) without sending it: what the router would say to it. */
  async simulate(batch: PayBatch, from: Address): Promise<PayoutSimulation> {
    const call = this.payCall(batch, from);
    try {
      await this.client.simulateContract(call);
      return { ok: true, gas: await this.client.estimateContractGas(call) };
    } catch (e) {
      const refusal = refusalOf(e);
      if (refusal) return { ok: false, ...refusal };
      throw this.wrap('simulate', e, aboutOf(batch));
    }
  }

  async isPaid(router: RouterName, batchId: Hex): Promise<boolean> {
    return this.call('isPaid', () => this.client.readContract({ address: this.routers[router], abi: lucidPayoutRouterAbi, functionName: 'paid', args: [batchId] }), {
      router,
      batchId,
    });
  }

  /** The only address the router takes payBatch from: the wallet's, once a rotation has landed. */
  async payerOf(router: RouterName): Promise<Address> {
    const payer = await this.call('payerOf', () => this.client.readContract({ address: this.routers[router], abi: lucidPayoutRouterAbi, functionName: 'payer' }), { router });
    return getAddress(payer);
  }

  async balanceOf(holder: Address): Promise<bigint> {
    return this.call('balanceOf', () => this.client.readContract({ address: this.token, abi: lucidTestTokenAbi, functionName: 'balanceOf', args: [holder] }));
  }

  /**
   * Signs `payBatch` with the key, offline: the nonce is the account's pending count, gas and fees
   * come from the node, nothing is sent. A batch the router would refuse throws a `refused`
   * PayoutChainError naming why (`already-paid` included: there is nothing left to send).
   */
  async sign(batch: PayBatch, key: Hex): Promise<SignedPayout> {
    const account = signerOf(key, 'payout key');
    const call = this.payCall(batch, account.address);
    const [gasEstimate, nonce, fees] = await Promise.all([
      this.call('sign: estimate gas', () => this.client.estimateContractGas(call), aboutOf(batch)),
      this.call('sign: nonce', () => this.client.getTransactionCount({ address: account.address, blockTag: 'pending' }), aboutOf(batch)),
      this.call('sign: fees', () => feesOf(this.client), aboutOf(batch)),
    ]);
    const to = this.routers[batch.router];
    const { raw, hash } = await signCall(account, { chainId: this.chainId, nonce, to, data: encodePayBatch(batch), gasEstimate, fees });
    return { raw, hash, nonce, from: account.address };
  }

  async broadcast(raw: Hex): Promise<BroadcastOutcome> {
    try {
      return await sendRaw(this.client, raw);
    } catch (e) {
      throw this.wrap('broadcast', e, { txHash: keccak256(raw) });
    }
  }

  /** The mined transaction's receipt on the canonical chain, with the routers' Paid lines; null while it is not there. */
  async receipt(hash: Hex): Promise<PayoutReceipt | null> {
    let r;
    try {
      r = await this.client.getTransactionReceipt({ hash });
    } catch (e) {
      if (e instanceof TransactionReceiptNotFoundError) return null;
      throw this.wrap('receipt', e, { txHash: hash });
    }
    const head = await this.call('receipt: head', () => this.client.getBlockNumber(), { txHash: hash });
    const routers = new Set<Address>(Object.values(this.routers));
    const lines = parseEventLogs({ abi: lucidPayoutRouterAbi, eventName: 'Paid', logs: r.logs })
      .filter((l) => routers.has(getAddress(l.address)))
      .map(({ args: { batchId, recipient, amount, reasons }, logIndex }) => ({
        batchId,
        recipient: getAddress(recipient),
        amount,
        reasons,
        logIndex,
      }));
    return {
      status: r.status,
      blockNumber: Number(r.blockNumber),
      blockHash: r.blockHash,
      confirmations: Number(head - r.blockNumber) + 1,
      gasUsed: r.gasUsed,
      lines,
    };
  }

  private payCall(batch: PayBatch, from: Address) {
    return { account: from, address: this.routers[batch.router], abi: lucidPayoutRouterAbi, functionName: 'payBatch', args: payBatchArgs(batch) } as const;
  }

  private async call<T>(op: string, fn: () => Promise<T>, about: PayoutAbout = {}): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw this.wrap(op, e, about);
    }
  }

  private wrap(op: string, e: unknown, about: PayoutAbout): PayoutChainError {
    if (e instanceof PayoutChainError) return e;
    const { router, batchId, txHash } = about;
    const named = [router && `router ${router} ${this.routers[router]}`, batchId && `batch ${batchId}`, txHash && `tx ${txHash}`];
    const where = `${op} on ${this.chain}${named.some(Boolean) ? ` (${named.filter(Boolean).join(', ')})` : ''}`;
    if (isUnreachable(e)) return new PayoutChainError('unreachable', op, `${where}: chain RPC ${this.rpcUrl} did not answer: ${errorText(e)}`, about);
    const refusal = refusalOf(e);
    if (refusal) return new PayoutChainError('refused', op, `${where}: ${refusal.message}`, about, refusal.reason);
    return new PayoutChainError('rpc', op, `${where}: ${errorText(e)}`, about);
  }
}

type PayoutAbout = PayoutChainError['about'];

function aboutOf(batch: PayBatch): PayoutAbout {
  return { router: batch.router, batchId: batch.batchId };
}

function refusalOf(e: unknown): { reason: PayoutRefusalReason; message: string } | undefined {
  const reverted = revertOf(e);
  if (!reverted) return undefined;
  const text = reverted.reason ?? reverted.shortMessage;
  return { reason: refusalOfRevert(text), message: `the router refused: ${text}` };
}

function checkedAddress(field: string, a: string): Address {
  const r = addressSchema.safeParse(a);
  if (!r.success) throw new Error(`EvmPayoutChain: ${field} ${a}: ${r.error.issues[0]!.message}`);
  return r.data;
}
