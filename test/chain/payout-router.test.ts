import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createWalletClient, getAddress, http, keccak256, stringToHex, type Address, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { lucidPayoutRouterBytecode, quirkyTestTokenBytecode } from '../../chain/contract-artifact';
import { EvmPayoutChain } from '../../chain/evm-payout-chain';
import { lucidPayoutRouterAbi } from '../../chain/lucid-payout-router-abi';
import { lucidTestTokenAbi } from '../../chain/lucid-test-token-abi';
import { encodePayBatch } from '../../chain/payout-call-data';
import { PayoutChainError, type PayBatch, type PayoutReceipt, type RouterName } from '../../chain/payout-chain';
import { ownerSession, provisionPayouts, type PayoutProvision } from '../../chain/provision-payouts';
import { createKeystore, readKeystore, rotateKeystore } from '../../wallet/keystore';
import { testStack } from '../support/test-stack';

// Each suite deploys its own token and routers from its own owner key, so it never moves the
// stack's routers (their payer, their KYC list) under another suite. Balances are the ground truth.
const stack = testStack();
const rpcUrl = stack.chainRpc;
const ownerKey = generatePrivateKey();
const owner = ownerSession(rpcUrl, ownerKey);
const CAP = 10_000_000n; // 10 test dollars a batch
const FUND = 100_000_000n;
const kycOk = randomAddress();
let dir: string;
let keystore: string;
let password: string;
let walletKey: Hex;
let p: PayoutProvision;
let chain: EvmPayoutChain;
let seq = 0;

function randomAddress(): Address {
  return privateKeyToAccount(generatePrivateKey()).address;
}

function batchOf(router: RouterName, lines: Array<[Address, bigint]>): PayBatch {
  const batchId = keccak256(stringToHex(`payout-router-test-${process.pid}-${Date.now()}-${seq++}`));
  return { router, batchId, lines: lines.map(([recipient, amount], i) => ({ recipient, amount, reasons: `0x${(i + 1).toString(16).padStart(64, '0')}` as Hex })) };
}

async function balances(c: EvmPayoutChain, holders: Address[]): Promise<bigint[]> {
  return Promise.all(holders.map((h) => c.balanceOf(h)));
}

async function receiptOf(c: EvmPayoutChain, hash: Hex): Promise<PayoutReceipt> {
  for (let i = 0; i < 200; i++) {
    const r = await c.receipt(hash);
    if (r) return r;
    await new Promise((res) => setTimeout(res, 25));
  }
  throw new Error(`tx ${hash} not mined`);
}

/** Signs with EvmPayoutChain, broadcasts, and waits for the receipt. */
async function pay(c: EvmPayoutChain, batch: PayBatch, key: Hex): Promise<PayoutReceipt & { hash: Hex; raw: Hex }> {
  const signed = await c.sign(batch, key);
  expect(await c.broadcast(signed.raw)).toBe('accepted');
  return { ...(await receiptOf(c, signed.hash)), hash: signed.hash, raw: signed.raw };
}

/** A tenth of an ether from the owner, so the key can send a transaction the router refuses. */
async function gasMoney(key: Hex): Promise<void> {
  await owner.send(owner.wallet.sendTransaction({ to: privateKeyToAccount(key).address, value: 10n ** 17n, chain: null }), 'gas money');
}

/** Sends payBatch with a fixed gas limit, past any estimate or simulation, so the router itself must refuse it on chain. */
async function forceSend(c: EvmPayoutChain, batch: PayBatch, key: Hex): Promise<PayoutReceipt> {
  const w = createWalletClient({ account: privateKeyToAccount(key), transport: http(rpcUrl) });
  const hash = await w.sendTransaction({ to: c.routerAddress(batch.router), data: encodePayBatch(batch), gas: 1_000_000n, chain: null });
  return receiptOf(c, hash);
}

async function refusedOnChain(c: EvmPayoutChain, batch: PayBatch, key: Hex, reason: string): Promise<void> {
  const holders = [...batch.lines.map((l) => l.recipient), c.routerAddress(batch.router)];
  const before = await balances(c, holders);
  const r = await forceSend(c, batch, key);
  expect(r).toMatchObject({ status: 'reverted', lines: [] });
  expect(await balances(c, holders)).toEqual(before);
  // The revert string the simulation reports is the one the router gives.
  const sim = await c.simulate(batch, privateKeyToAccount(key).address);
  expect(sim).toMatchObject({ ok: false, reason });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-payout-router-'));
  password = path.join(dir, 'password');
  fs.writeFileSync(password, 'payout router test password\n', { mode: 0o400 });
  keystore = path.join(dir, 'keystore.json');
  createKeystore(keystore, password);
  walletKey = readKeystore(keystore, password).key;
  p = await provisionPayouts({ rpcUrl, ownerKey, wallet: privateKeyToAccount(walletKey).address, kyc: [kycOk], batchCap: CAP, fund: FUND });
  chain = new EvmPayoutChain({ rpcUrl, chainId: p.chainId, token: p.token, routers: p.routers });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('LucidPayoutRouter on the test stack’s anvil', () => {
  it('is provisioned idempotently: the same contracts again, funded back up to the amount asked', async () => {
    expect(p).toMatchObject({ chainId: stack.chainId, deployed: true, wallet: privateKeyToAccount(walletKey).address });
    expect(await balances(chain, [p.routers.PR0, p.routers.PRKYC])).toEqual([FUND, FUND]);
    expect(chain.chain).toBe(`evm:${stack.chainId}`);
    expect((await EvmPayoutChain.connect({ rpcUrl, token: p.token, routers: p.routers })).chain).toBe(chain.chain);
    const again = await provisionPayouts({ rpcUrl, ownerKey, wallet: p.wallet, kyc: [kycOk], batchCap: CAP, fund: FUND, recorded: p });
    expect(again).toEqual({ ...p, deployed: false });
  });

  it('pays three recipients exactly what the batch says, with the receipt naming each line', async () => {
    const rs = [randomAddress(), randomAddress(), randomAddress()];
    const batch = batchOf('PR0', [[rs[0]!, 1_250_000n], [rs[1]!, 2_000_001n], [rs[2]!, 3n]]);
    expect(await chain.isPaid('PR0', batch.batchId)).toBe(false);
    const sim = await chain.simulate(batch, p.wallet);
    expect(sim).toMatchObject({ ok: true, gas: expect.any(BigInt) });
    const routerBefore = await chain.balanceOf(p.routers.PR0);
    const r = await pay(chain, batch, walletKey);
    expect(r).toMatchObject({ status: 'success', confirmations: 1 });
    expect(await balances(chain, rs)).toEqual([1_250_000n, 2_000_001n, 3n]);
    expect(routerBefore - (await chain.balanceOf(p.routers.PR0))).toBe(3_250_004n);
    expect(r.lines.map(({ recipient, amount, reasons, batchId }) => ({ recipient, amount, reasons, batchId }))).toEqual(
      batch.lines.map((l) => ({ ...l, batchId: batch.batchId })),
    );
    expect(await chain.isPaid('PR0', batch.batchId)).toBe(true);
    expect(r.gasUsed).toBe((sim as { gas: bigint }).gas);
  });

  it('measures gas per recipient: a 1-line and a 100-line batch', async () => {
    const one = await pay(chain, batchOf('PR0', [[randomAddress(), 1n]]), walletKey);
    const hundred = await pay(chain, batchOf('PR0', Array.from({ length: 100 }, () => [randomAddress(), 10n] as [Address, bigint])), walletKey);
    const perRecipient = (hundred.gasUsed - one.gasUsed) / 99n;
    const at100 = hundred.gasUsed / 100n;
    process.stderr.write(`payBatch gas: 1 line ${one.gasUsed}, 100 lines ${hundred.gasUsed}, ${perRecipient} per added recipient, ${at100} per recipient at 100\n`);
    expect(hundred.lines).toHaveLength(100);
    expect(perRecipient).toBeLessThan(one.gasUsed);
  });

  it('refuses a batch id it has paid, on chain, with no balance moving; the dry run and signing say already-paid', async () => {
    const r0 = randomAddress();
    const batch = batchOf('PR0', [[r0, 5n]]);
    await pay(chain, batch, walletKey);
    await refusedOnChain(chain, batch, walletKey, 'already-paid');
    // The same id with other lines is the same batch to the router.
    await refusedOnChain(chain, { ...batch, lines: [{ ...batch.lines[0]!, recipient: randomAddress() }] }, walletKey, 'already-paid');
    const err = await chain.sign(batch, walletKey).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PayoutChainError);
    expect(err).toMatchObject({ kind: 'refused', refusal: 'already-paid', about: { router: 'PR0', batchId: batch.batchId } });
    expect((err as Error).message).toContain(`batch ${batch.batchId}`);
    expect((err as Error).message).not.toContain(walletKey.slice(2));
    expect(await chain.balanceOf(r0)).toBe(5n);
  });

  it('refuses a batch over its cap, an empty batch and a sender that is not the payer', async () => {
    await refusedOnChain(chain, batchOf('PR0', [[randomAddress(), CAP - 1n], [randomAddress(), 2n]]), walletKey, 'over-cap');
    await refusedOnChain(chain, batchOf('PR0', []), walletKey, 'empty-batch');
    const stranger = generatePrivateKey();
    await gasMoney(stranger);
    await refusedOnChain(chain, batchOf('PR0', [[randomAddress(), 1n]]), stranger, 'unauthorized');
    // Exactly the cap is allowed.
    const r = randomAddress();
    await pay(chain, batchOf('PR0', [[r, CAP]]), walletKey);
    expect(await chain.balanceOf(r)).toBe(CAP);
  });

  it('the KYC router pays a listed recipient and refuses a batch naming one that is not listed', async () => {
    const outsider = randomAddress();
    await refusedOnChain(chain, batchOf('PRKYC', [[kycOk, 7n], [outsider, 7n]]), walletKey, 'not-kyc');
    expect(await chain.balanceOf(kycOk)).toBe(0n);
    await pay(chain, batchOf('PRKYC', [[kycOk, 7n]]), walletKey);
    expect(await chain.balanceOf(kycOk)).toBe(7n);
    // PR0 pays the outsider: only PRKYC keeps a list.
    await pay(chain, batchOf('PR0', [[outsider, 7n]]), walletKey);
    expect(await chain.balanceOf(outsider)).toBe(7n);
  });

  it('pays through a token whose transfer returns nothing (mainnet USDT), and reverts on one that returns true and moves nothing', async () => {
    const withToken = async (bytecode: Hex) => {
      const t = await owner.send(owner.wallet.deployContract({ abi: lucidTestTokenAbi, bytecode, chain: null }), 'deploying a quirky token');
      const token = getAddress(t.contractAddress!);
      const deployed = await owner.send(
        owner.wallet.deployContract({
          abi: lucidPayoutRouterAbi,
          bytecode: lucidPayoutRouterBytecode,
          args: [token, p.wallet, CAP, false],
          chain: null,
        }),
        'deploying a router',
      );
      const router = getAddress(deployed.contractAddress!);
      await owner.send(owner.wallet.writeContract({ address: token, abi: lucidTestTokenAbi, functionName: 'mint', args: [router, FUND], chain: null }), 'minting');
      return new EvmPayoutChain({ rpcUrl, chainId: p.chainId, token, routers: { PR0: router, PRKYC: router } });
    };
    const usdtLike = await withToken(quirkyTestTokenBytecode.noReturn);
    const rs = [randomAddress(), randomAddress()];
    await pay(usdtLike, batchOf('PR0', [[rs[0]!, 11n], [rs[1]!, 22n]]), walletKey);
    expect(await balances(usdtLike, [...rs, usdtLike.routerAddress('PR0')])).toEqual([11n, 22n, FUND - 33n]);

    const liar = await withToken(quirkyTestTokenBytecode.lying);
    const batch = batchOf('PR0', [[randomAddress(), 5n]]);
    await refusedOnChain(liar, batch, walletKey, 'reverted');
    expect(await liar.simulate(batch, p.wallet)).toEqual({ ok: false, reason: 'reverted', message: 'the router refused: token transfer did not pay' });
    expect(await liar.isPaid('PR0', batch.batchId)).toBe(false);
  });

  it('rebroadcasting the same signed bytes after they were mined pays nothing twice', async () => {
    const r0 = randomAddress();
    const batch = batchOf('PR0', [[r0, 9n]]);
    const first = await pay(chain, batch, walletKey);
    const routerAfter = await chain.balanceOf(p.routers.PR0);
    for (let i = 0; i < 3; i++) expect(await chain.broadcast(first.raw)).toBe('nonce-used');
    await pay(chain, batchOf('PR0', [[randomAddress(), 1n]]), walletKey); // a block after the rebroadcasts
    expect(await chain.balanceOf(r0)).toBe(9n);
    expect(await chain.balanceOf(p.routers.PR0)).toBe(routerAfter - 1n);
    expect((await chain.receipt(first.hash))?.blockNumber).toBe(first.blockNumber);
  });

  it('rotation: after rotateKeystore and the payer moved on chain, the old key is refused and the new one pays', async () => {
    const { previous, address, retired } = rotateKeystore(keystore, password);
    expect(previous).toBe(p.wallet);
    const { key: newKey } = readKeystore(keystore, password);
    expect(privateKeyToAccount(newKey).address).toBe(address);
    // Until the payer moves, the new key is a stranger to the routers.
    await gasMoney(newKey);
    await refusedOnChain(chain, batchOf('PR0', [[randomAddress(), 1n]]), newKey, 'unauthorized');

    const rotated = await provisionPayouts({ rpcUrl, ownerKey, wallet: address, batchCap: CAP, fund: FUND, recorded: p });
    expect(rotated).toMatchObject({ token: p.token, routers: p.routers, wallet: address, deployed: false });
    expect(await chain.payerOf('PR0')).toBe(address);
    expect(await chain.payerOf('PRKYC')).toBe(address);

    const oldKey = readKeystore(retired, password).key;
    await refusedOnChain(chain, batchOf('PR0', [[randomAddress(), 1n]]), oldKey, 'unauthorized');
    const refused = { kind: 'refused', refusal: 'unauthorized' };
    await expect(chain.sign(batchOf('PR0', [[randomAddress(), 1n]]), oldKey)).rejects.toMatchObject(refused);
    const r = randomAddress();
    await pay(chain, batchOf('PR0', [[r, 4n]]), newKey);
    expect(await chain.balanceOf(r)).toBe(4n);
  });

  it('the stack’s own wallet, in the stack’s keystore, is the payer of the stack’s routers and can pay', async () => {
    const s = stack.payouts;
    const { key, address } = readKeystore(s.keystoreFile, s.passwordFile);
    expect(address).toBe(s.wallet);
    for (const f of [s.keystoreFile, s.passwordFile]) expect(fs.statSync(f).mode & 0o777).toBe(0o400);
    expect(fs.readFileSync(s.keystoreFile, 'utf8')).not.toContain(key.slice(2));
    const c = new EvmPayoutChain({ rpcUrl, chainId: s.chainId, token: s.token, routers: s.routers });
    expect([await c.payerOf('PR0'), await c.payerOf('PRKYC')]).toEqual([s.wallet, s.wallet]);
    const batch = batchOf('PR0', [[randomAddress(), 1n]]);
    expect(await c.simulate(batch, s.wallet)).toMatchObject({ ok: true });
  });
});
