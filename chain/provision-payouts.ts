import { createPublicClient, createWalletClient, getAddress, http, type Address, type Hex, type PublicClient } from 'viem';
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import { lucidPayoutRouterBytecode, lucidTestTokenBytecode } from './contract-artifact';
import { fundFromDevAccount } from './dev-account';
import { lucidPayoutRouterAbi } from './lucid-payout-router-abi';
import { lucidTestTokenAbi } from './lucid-test-token-abi';
import type { RouterName } from './payout-chain';

export interface PayoutProvision {
  chainId: number;
  /** The 6-decimal test token (LucidTestToken) the routers pay in. */
  token: Address;
  routers: Record<RouterName, Address>;
  /** The payout wallet's address: the routers' payer. */
  wallet: Address;
  /** The block the token was deployed in (the routers follow it): where an indexer starts. */
  deployBlock: number;
  /** True when this call deployed the contracts. */
  deployed: boolean;
}

export type RecordedPayouts = Pick<PayoutProvision, 'token' | 'routers' | 'deployBlock'>;

const ROUTERS: readonly RouterName[] = ['PR0', 'PRKYC'];

/**
 * Makes the embedded chain's payout contracts ready, idempotently: reuses `recorded` when the
 * token's and both routers' code is on chain and the owner key owns them, and otherwise deploys
 * the test token and the routers (PR0 pays anyone, PRKYC only its KYC list). Then it brings them
 * to what is asked: the routers' payer is `wallet` (how a rotated wallet key lands on chain),
 * their cap `batchCap`, their token balance at least `fund` (minted: this is the test token,
 * never USDT), PRKYC's list exactly `kyc` when given; and the owner and wallet have gas money.
 */
export async function provisionPayouts(opts: {
  rpcUrl: string;
  ownerKey: Hex;
  wallet: Address;
  /** PRKYC's list, exactly; left as it is when not given. */
  kyc?: Address[];
  batchCap: bigint;
  fund: bigint;
  recorded?: RecordedPayouts;
}): Promise<PayoutProvision> {
  const o = ownerSession(opts.rpcUrl, opts.ownerKey);
  const wallet = getAddress(opts.wallet);
  await fundFromDevAccount(o.client, opts.rpcUrl, [o.owner.address, wallet]);
  const chainId = await o.client.getChainId();
  const reused = opts.recorded && (await ownedOnChain(o, opts.recorded)) ? opts.recorded : undefined;
  const { token, routers, deployBlock } = reused ?? (await deploy(o, wallet, opts.batchCap));

  for (const name of ROUTERS) {
    const router = { address: routers[name], abi: lucidPayoutRouterAbi } as const;
    await setRouterPayer({ ...o, router: routers[name], payer: wallet });
    if ((await o.client.readContract({ ...router, functionName: 'batchCap' })) !== opts.batchCap) {
      await o.send(o.wallet.writeContract({ ...router, functionName: 'setBatchCap', args: [opts.batchCap], chain: null }), `${name}.setBatchCap(${opts.batchCap})`);
    }
    const balance = await o.client.readContract({ address: token, abi: lucidTestTokenAbi, functionName: 'balanceOf', args: [routers[name]] });
    if (balance < opts.fund) {
      const top = opts.fund - balance;
      await o.send(o.wallet.writeContract({ address: token, abi: lucidTestTokenAbi, functionName: 'mint', args: [routers[name], top], chain: null }), `minting ${top} to ${name}`);
    }
  }
  if (opts.kyc) await setKycList({ ...o, router: routers.PRKYC, fromBlock: deployBlock, kyc: opts.kyc });
  return { chainId, token, routers, wallet, deployBlock, deployed: !reused };
}

type OwnerSession = ReturnType<typeof ownerSession>;

/** The owner key's view of the chain: reads, writes, and each write awaited until mined and checked. */
export function ownerSession(rpcUrl: string, ownerKey: Hex) {
  const transport = http(rpcUrl, { retryCount: 1, timeout: 10_000 });
  const client: PublicClient = createPublicClient({ transport, pollingInterval: 100 });
  const owner: PrivateKeyAccount = privateKeyToAccount(ownerKey);
  const wallet = createWalletClient({ account: owner, transport });
  const send = async (sent: Promise<Hex>, what: string) => {
    const hash = await sent;
    const r = await client.waitForTransactionReceipt({ hash, timeout: 60_000 });
    if (r.status !== 'success') throw new Error(`chain ${rpcUrl}: ${what} (tx ${hash}) reverted`);
    return r;
  };
  return { rpcUrl, client, owner, wallet, send };
}

/** Moves a router's payer to `payer` unless it is there: the on-chain half of a wallet key rotation. */
export async function setRouterPayer(o: OwnerSession & { router: Address; payer: Address }): Promise<void> {
  const router = { address: o.router, abi: lucidPayoutRouterAbi } as const;
  if (getAddress(await o.client.readContract({ ...router, functionName: 'payer' })) === getAddress(o.payer)) return;
  await o.send(o.wallet.writeContract({ ...router, functionName: 'setPayer', args: [o.payer], chain: null }), `router ${o.router}: setPayer(${o.payer})`);
}

/**
 * Makes a KYC router's list exactly `kyc`: adds who is missing and removes who is listed but not
 * named, found from the router's KycSet events since `fromBlock` (a mapping cannot be listed).
 */
export async function setKycList(o: OwnerSession & { router: Address; fromBlock: number; kyc: Address[] }): Promise<void> {
  const router = { address: o.router, abi: lucidPayoutRouterAbi } as const;
  const wanted = new Set(o.kyc.map((a) => getAddress(a)));
  const events = await o.client.getContractEvents({ ...router, eventName: 'KycSet', fromBlock: BigInt(o.fromBlock), strict: true });
  const seen = new Set(events.map((e) => getAddress(e.args.recipient)));
  for (const who of new Set([...wanted, ...seen])) {
    const allowed = wanted.has(who);
    if ((await o.client.readContract({ ...router, functionName: 'kyc', args: [who] })) === allowed) continue;
    await o.send(o.wallet.writeContract({ ...router, functionName: 'setKyc', args: [who, allowed], chain: null }), `router ${o.router}: setKyc(${who}, ${allowed})`);
  }
}

/** The recorded contracts are still there (a dev chain keeps them only with its state file) and this owner's. */
async function ownedOnChain(o: OwnerSession, recorded: RecordedPayouts): Promise<boolean> {
  for (const address of [recorded.token, ...ROUTERS.map((r) => recorded.routers[r])]) {
    if (!(await o.client.getCode({ address }))?.length) return false;
  }
  for (const r of ROUTERS) {
    const router = { address: recorded.routers[r], abi: lucidPayoutRouterAbi } as const;
    const [owner, token, kycRequired] = await Promise.all([
      o.client.readContract({ ...router, functionName: 'owner' }),
      o.client.readContract({ ...router, functionName: 'token' }),
      o.client.readContract({ ...router, functionName: 'kycRequired' }),
    ]);
    if (getAddress(owner) !== o.owner.address || getAddress(token) !== getAddress(recorded.token) || kycRequired !== (r === 'PRKYC')) return false;
  }
  return true;
}

async function deploy(o: OwnerSession, wallet: Address, batchCap: bigint): Promise<RecordedPayouts> {
  const t = await o.send(o.wallet.deployContract({ abi: lucidTestTokenAbi, bytecode: lucidTestTokenBytecode, chain: null }), 'deploying LucidTestToken');
  const token = getAddress(t.contractAddress!);
  const router = async (name: RouterName) => {
    const r = await o.send(
      o.wallet.deployContract({ abi: lucidPayoutRouterAbi, bytecode: lucidPayoutRouterBytecode, args: [token, wallet, batchCap, name === 'PRKYC'], chain: null }),
      `deploying LucidPayoutRouter ${name}`,
    );
    return getAddress(r.contractAddress!);
  };
  return { token, routers: { PR0: await router('PR0'), PRKYC: await router('PRKYC') }, deployBlock: Number(t.blockNumber) };
}
