import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { keccak256, stringToHex, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { EvmPayoutChain } from '../../chain/evm-payout-chain';
import type { PayBatch } from '../../chain/payout-chain';
import { provisionPayouts } from '../../chain/provision-payouts';
import { PrivateChain } from '../support/private-chain';
import { testStack } from '../support/test-stack';

// anvil killed with -9 loses the blocks since its last state dump: a payout seen mined can vanish.
let chain: PrivateChain;
let dir: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-payout-lost-block-'));
  chain = await PrivateChain.start({ port: testStack().chainPort + 24, dir, stateIntervalSeconds: 3600 });
});
afterAll(async () => {
  await chain?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** anvil mines a sent transaction at once, but its receipt can come a moment after the send answers on a loaded machine. */
async function receiptOf(payouts: EvmPayoutChain, hash: Hex) {
  for (let i = 0; i < 200; i++) {
    const r = await payouts.receipt(hash);
    if (r) return r;
    await new Promise((res) => setTimeout(res, 25));
  }
  return null;
}

describe('a payout whose block the chain lost', () => {
  it('has no receipt and paid nothing; the same signed bytes, rebroadcast, pay exactly once', async () => {
    const walletKey = generatePrivateKey();
    const wallet = privateKeyToAccount(walletKey).address;
    const p = await provisionPayouts({ rpcUrl: chain.rpcUrl, ownerKey: generatePrivateKey(), wallet, batchCap: 1_000_000n, fund: 10_000_000n });
    await chain.restart(); // a clean stop: the contracts are in the state file
    const payouts = new EvmPayoutChain({ rpcUrl: chain.rpcUrl, chainId: p.chainId, token: p.token, routers: p.routers });
    const recipient = privateKeyToAccount(generatePrivateKey()).address;
    const batch: PayBatch = { router: 'PR0', batchId: keccak256(stringToHex('lost-block-batch')), lines: [{ recipient, amount: 4_200n, reasons: `0x${'07'.padStart(64, '0')}` as Hex }] };

    const signed = await payouts.sign(batch, walletKey);
    expect(await payouts.broadcast(signed.raw)).toBe('accepted');
    expect(await receiptOf(payouts, signed.hash)).toMatchObject({ status: 'success', lines: [expect.objectContaining({ recipient, amount: 4_200n })] });
    expect(await payouts.balanceOf(recipient)).toBe(4_200n);

    await chain.kill9();
    await chain.up();
    expect(await payouts.receipt(signed.hash)).toBeNull();
    expect(await payouts.balanceOf(recipient)).toBe(0n);
    expect(await payouts.isPaid('PR0', batch.batchId)).toBe(false);

    expect(await payouts.broadcast(signed.raw)).toBe('accepted');
    expect(await receiptOf(payouts, signed.hash)).toMatchObject({ status: 'success', confirmations: 1 });
    expect(await payouts.broadcast(signed.raw)).toBe('nonce-used');
    expect(await payouts.balanceOf(recipient)).toBe(4_200n);
    expect(await payouts.balanceOf(p.routers.PR0)).toBe(10_000_000n - 4_200n);
  });
});
