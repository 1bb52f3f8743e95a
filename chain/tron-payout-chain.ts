import { createHash } from 'node:crypto';
import { TronWeb, utils as tronUtils } from 'tronweb';
import {
  decodeAbiParameters,
  decodeEventLog,
  encodeFunctionData,
  getAddress,
  type Address,
  type Hex,
} from 'viem';
import { signerOf, type BroadcastOutcome } from './evm-transactions';
import { lucidPayoutRouterAbi } from './lucid-payout-router-abi';
import { lucidTestTokenAbi } from './lucid-test-token-abi';
import { encodePayBatch, parsePayBatch } from './payout-call-data';
import {
  PayoutChainError,
  refusalOfRevert,
  type PaidLine,
  type PayBatch,
  type PayoutChain,
  type PayoutReceipt,
  type PayoutSimulation,
  type RouterName,
  type SignedPayout,
} from './payout-chain';
import { evmFromTron, tronFromEvm } from './tron-address';

/**
 * The payout routers on TRON (TRON_MODE=shasta|mainnet), through a configured full node's HTTP
 * API. The payBatch transaction is built and signed OFFLINE with tronweb from a block reference
 * (TAPOS), with call data byte-equal to the EVM adapter's; that part is tested here against
 * fixed vectors (test/fixtures/vectors/tron-pay-batch.json). NOT TESTED HERE: everything that
 * needs a live TRON node (the block reference, simulate, isPaid, balanceOf, broadcast, receipt)
 * is written against the documented full-node HTTP API (/wallet/getnowblock,
 * /wallet/triggerconstantcontract, /wallet/broadcasthex, /wallet/gettransactioninfobyid,
 * /wallet/getblockbynum), but no TRON node or TVM can run on this machine, so it has never been
 * run against one.
 */

export type TronMode = 'shasta' | 'mainnet';

/** TAPOS: the block the transaction refers to, and when it expires (ms since the epoch). */
export interface TronBlockRef {
  ref_block_bytes: string;
  ref_block_hash: string;
  expiration: number;
  timestamp: number;
}

export interface SignedTronPayout extends SignedPayout {
  /** The transaction dies at this time (ms) if not included: TRON has no nonces, `nonce` is 0. */
  expiration: number;
  rawDataHex: string;
  signature: string;
}

const PAY_BATCH = 'payBatch(bytes32,address[],uint256[],bytes32[])';
/** TRX in sun a payout may burn for energy: 300 TRX; a 100-line batch needs about a third of it at today's energy price. */
export const DEFAULT_FEE_LIMIT = 300_000_000;
/** How far ahead a signed transaction expires: TRON allows up to 24 h; an hour leaves room to rebroadcast. */
const EXPIRATION_MS = 60 * 60 * 1000;

/**
 * Builds and signs `payBatch` on `router` (its 20-byte form) with no node: the block reference
 * is given. The same inputs give the same transaction id and signature, byte for byte.
 */
export async function signTronPayBatch(opts: {
  batch: PayBatch;
  key: Hex;
  router: Address;
  blockRef: TronBlockRef;
  feeLimit?: number;
}): Promise<SignedTronPayout> {
  const batch = parsePayBatch(opts.batch);
  const from = signerOf(opts.key, 'payout key').address;
  const data = encodePayBatch(batch);
  // Never contacted: with txLocal and a block header tronweb builds the transaction itself.
  const tw = new TronWeb({ fullHost: 'http://127.0.0.1:9' });
  const { transaction } = await tw.transactionBuilder.triggerSmartContract(
    tronFromEvm(opts.router),
    PAY_BATCH,
    { feeLimit: opts.feeLimit ?? DEFAULT_FEE_LIMIT, txLocal: true, blockHeader: opts.blockRef, rawParameter: data.slice(10) },
    [],
    tronFromEvm(from),
  );
  const built = (transaction.raw_data.contract[0]!.parameter.value as { data?: string }).data;
  if (built !== data.slice(2)) throw new Error(`tron payBatch ${batch.batchId}: tronweb built other call data than encodePayBatch`);
  const signed = await tw.trx.sign(transaction, opts.key.slice(2));
  // tronweb writes v in uppercase hex; the stored form is lowercase throughout.
  const signature = signed.signature![0]!.toLowerCase();
  const pb = tronUtils.transaction.txJsonToPb(signed);
  pb.addSignature(Uint8Array.from(Buffer.from(signature, 'hex')));
  const txID = createHash('sha256').update(Buffer.from(signed.raw_data_hex, 'hex')).digest('hex');
  if (txID !== signed.txID) throw new Error(`tron payBatch ${batch.batchId}: tronweb's txID is not sha256(raw_data)`);
  return {
    raw: `0x${Buffer.from(pb.serializeBinary()).toString('hex')}`,
    hash: `0x${txID}`,
    nonce: 0,
    from,
    expiration: signed.raw_data.expiration,
    rawDataHex: signed.raw_data_hex.toLowerCase(),
    signature,
  };
}

/** Untested against a live node: see the note at the top of this file. */
export class TronPayoutChain implements PayoutChain {
  readonly chain: string;
  private readonly routers: Record<RouterName, Address>;
  private readonly token: Address;

  constructor(private readonly opts: { mode: TronMode; fullNodeUrl: string; token: string; routers: Record<RouterName, string>; feeLimit?: number }) {
    if (!/^https?:\/\//.test(opts.fullNodeUrl)) throw new Error(`TronPayoutChain: fullNodeUrl ${opts.fullNodeUrl}: must be an http(s) URL`);
    this.chain = `tron:${opts.mode}`;
    this.token = evmFromTron(opts.token);
    this.routers = { PR0: evmFromTron(opts.routers.PR0), PRKYC: evmFromTron(opts.routers.PRKYC) };
  }

  routerAddress(router: RouterName): Address {
    return this.routers[router];
  }

  async simulate(batch: PayBatch, from: Address): Promise<PayoutSimulation> {
    const r = await this.constant('simulate', this.routers[batch.router], from, encodePayBatch(batch), batch);
    if (r.ok) return { ok: true, gas: BigInt(r.energy) };
    return { ok: false, reason: refusalOfRevert(r.message), message: `the router refused: ${r.message}` };
  }

  async isPaid(router: RouterName, batchId: Hex): Promise<boolean> {
    const data = encodeFunctionData({ abi: lucidPayoutRouterAbi, functionName: 'paid', args: [batchId] });
    const r = await this.constant('isPaid', this.routers[router], this.routers[router], data);
    if (!r.ok) throw new PayoutChainError('rpc', 'isPaid', `isPaid on ${this.chain} (router ${router}, batch ${batchId}): ${r.message}`, { router, batchId });
    return decodeAbiParameters([{ type: 'bool' }], r.result)[0];
  }

  async balanceOf(holder: Address): Promise<bigint> {
    const data = encodeFunctionData({ abi: lucidTestTokenAbi, functionName: 'balanceOf', args: [holder] });
    const r = await this.constant('balanceOf', this.token, holder, data);
    if (!r.ok) throw new PayoutChainError('rpc', 'balanceOf', `balanceOf on ${this.chain} (${holder}): ${r.message}`);
    return decodeAbiParameters([{ type: 'uint256' }], r.result)[0];
  }

  /** The block reference is the node's newest block; the rest happens offline in signTronPayBatch. */
  async sign(batch: PayBatch, key: Hex): Promise<SignedTronPayout> {
    const block = await this.post<{ blockID?: string; block_header?: { raw_data?: { number?: number; timestamp?: number } } }>('sign: block', '/wallet/getnowblock', {});
    const header = block.block_header?.raw_data;
    if (!block.blockID || header?.number === undefined || header.timestamp === undefined) {
      throw new PayoutChainError('rpc', 'sign', `sign on ${this.chain} (batch ${batch.batchId}): the node returned no block header`, { router: batch.router, batchId: batch.batchId });
    }
    const blockRef: TronBlockRef = {
      ref_block_bytes: (header.number & 0xffff).toString(16).padStart(4, '0'),
      ref_block_hash: block.blockID.slice(16, 32),
      expiration: header.timestamp + EXPIRATION_MS,
      timestamp: header.timestamp,
    };
    return signTronPayBatch({ batch, key, router: this.routers[batch.router], blockRef, feeLimit: this.opts.feeLimit });
  }

  async broadcast(raw: Hex): Promise<BroadcastOutcome> {
    const r = await this.post<{ result?: boolean; code?: string; message?: string }>('broadcast', '/wallet/broadcasthex', { transaction: raw.slice(2) });
    if (r.result) return 'accepted';
    if (r.code === 'DUP_TRANSACTION_ERROR') return 'known';
    const message = r.message ? Buffer.from(r.message, 'hex').toString('utf8') : '';
    throw new PayoutChainError('rpc', 'broadcast', `broadcast on ${this.chain}: ${r.code ?? 'refused'} ${message}`.trim());
  }

  async receipt(hash: Hex): Promise<PayoutReceipt | null> {
    type Info = {
      id?: string;
      blockNumber?: number;
      receipt?: { result?: string; energy_usage_total?: number };
      log?: Array<{ address: string; topics: string[]; data?: string }>;
    };
    const info = await this.post<Info>('receipt', '/wallet/gettransactioninfobyid', { value: hash.slice(2) }, hash);
    if (!info.id || info.blockNumber === undefined) return null;
    const [block, head] = await Promise.all([
      this.post<{ blockID?: string }>('receipt: block', '/wallet/getblockbynum', { num: info.blockNumber }, hash),
      this.post<{ block_header?: { raw_data?: { number?: number } } }>('receipt: head', '/wallet/getnowblock', {}, hash),
    ]);
    const routers = new Set<Address>(Object.values(this.routers));
    const lines: PaidLine[] = [];
    (info.log ?? []).forEach((l, logIndex) => {
      if (!routers.has(getAddress(`0x${l.address.slice(-40)}`))) return;
      const topics = l.topics.map((t) => `0x${t}` as Hex) as [Hex, ...Hex[]];
      const ev = decodeEventLog({ abi: lucidPayoutRouterAbi, topics, data: `0x${l.data ?? ''}`, strict: false });
      if (ev.eventName !== 'Paid') return;
      const { batchId, recipient, amount, reasons } = ev.args as { batchId: Hex; recipient: Address; amount: bigint; reasons: Hex };
      lines.push({ batchId, recipient: getAddress(recipient), amount, reasons, logIndex });
    });
    return {
      status: info.receipt?.result === 'SUCCESS' ? 'success' : 'reverted',
      blockNumber: info.blockNumber,
      blockHash: `0x${block.blockID ?? ''}`,
      confirmations: (head.block_header?.raw_data?.number ?? info.blockNumber) - info.blockNumber + 1,
      gasUsed: BigInt(info.receipt?.energy_usage_total ?? 0),
      lines,
    };
  }

  /** A constant (read-only) call: its result, or the revert reason the TVM gave. */
  private async constant(
    op: string,
    contract: Address,
    from: Address,
    data: Hex,
    batch?: PayBatch,
  ): Promise<{ ok: true; result: Hex; energy: number } | { ok: false; message: string }> {
    type Answer = {
      result?: { result?: boolean; message?: string };
      constant_result?: string[];
      energy_used?: number;
      transaction?: { ret?: Array<{ ret?: string }> };
    };
    const body = { owner_address: `41${from.slice(2)}`, contract_address: `41${contract.slice(2)}`, data: data.slice(2) };
    const r = await this.post<Answer>(op, '/wallet/triggerconstantcontract', body, undefined, batch);
    const out = `0x${r.constant_result?.[0] ?? ''}` as Hex;
    const reverted = r.transaction?.ret?.[0]?.ret === 'REVERT' || r.result?.result === false;
    if (!reverted) return { ok: true, result: out, energy: r.energy_used ?? 0 };
    // Error(string): selector 08c379a0, then the ABI-encoded reason.
    if (out.startsWith('0x08c379a0')) return { ok: false, message: decodeAbiParameters([{ type: 'string' }], `0x${out.slice(10)}`)[0] };
    return { ok: false, message: r.result?.message ? Buffer.from(r.result.message, 'hex').toString('utf8') : 'reverted' };
  }

  private async post<T>(op: string, route: string, body: unknown, txHash?: Hex, batch?: PayBatch): Promise<T> {
    const about = { router: batch?.router, batchId: batch?.batchId, txHash };
    const where = `${op} on ${this.chain}${batch ? ` (router ${batch.router}, batch ${batch.batchId})` : ''}${txHash ? ` (tx ${txHash})` : ''}`;
    let res: Response;
    try {
      res = await fetch(new URL(route, this.opts.fullNodeUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (e) {
      throw new PayoutChainError('unreachable', op, `${where}: TRON node ${this.opts.fullNodeUrl} did not answer: ${(e as Error).message}`, about);
    }
    if (!res.ok) throw new PayoutChainError('rpc', op, `${where}: TRON node answered HTTP ${res.status}`, about);
    return (await res.json()) as T;
  }
}
