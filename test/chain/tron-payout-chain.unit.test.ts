import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { recoverAddress, type Address, type Hex } from 'viem';
import { encodePayBatch } from '../../chain/payout-call-data';
import type { PayBatch, RouterName } from '../../chain/payout-chain';
import { tronFromEvm } from '../../chain/tron-address';
import { signTronPayBatch, TronPayoutChain, type TronBlockRef } from '../../chain/tron-payout-chain';

// Generated once with a fixed (test-only) key and block reference; tronweb signs with no node.
const vector = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/vectors/tron-pay-batch.json'), 'utf8')) as {
  key: Hex;
  wallet: Address;
  router: Address;
  feeLimit: number;
  blockRef: TronBlockRef;
  batch: { router: RouterName; batchId: Hex; lines: Array<{ recipient: Address; amount: string; reasons: Hex }> };
  expected: { txID: string; rawDataHex: string; signature: string; raw: Hex; from: Address; expiration: number };
};
const batch: PayBatch = { ...vector.batch, lines: vector.batch.lines.map((l) => ({ ...l, amount: BigInt(l.amount) })) };
const sign = (b = batch) =>
  signTronPayBatch({ batch: b, key: vector.key, router: vector.router, blockRef: vector.blockRef, feeLimit: vector.feeLimit });

describe('payBatch on TRON, built and signed offline with tronweb', () => {
  it('gives the fixed vector’s transaction id, raw data and signature, byte for byte', async () => {
    const s = await sign();
    expect(s).toEqual({
      raw: vector.expected.raw,
      hash: `0x${vector.expected.txID}`,
      nonce: 0,
      from: vector.wallet,
      expiration: vector.blockRef.expiration,
      rawDataHex: vector.expected.rawDataHex,
      signature: vector.expected.signature,
    });
    expect(createHash('sha256').update(Buffer.from(s.rawDataHex, 'hex')).digest('hex')).toBe(vector.expected.txID);
  });

  it('carries call data byte-equal to the EVM adapter’s encodePayBatch, to the router and from the wallet', async () => {
    const s = await sign();
    const data = encodePayBatch(batch).slice(2);
    expect(s.rawDataHex).toContain(data);
    // The owner and contract addresses are their 21-byte 0x41 forms inside the raw data.
    expect(s.rawDataHex).toContain(`41${vector.wallet.slice(2).toLowerCase()}`);
    expect(s.rawDataHex).toContain(`41${vector.router.slice(2).toLowerCase()}`);
    // The signed transaction (what /wallet/broadcasthex takes) is the raw data and the signature.
    expect(s.raw).toContain(s.rawDataHex);
    expect(s.raw).toContain(s.signature);
  });

  it('has a signature over the transaction id that recovers to the wallet’s address', async () => {
    const s = await sign();
    expect(s.signature).toHaveLength(130);
    expect(await recoverAddress({ hash: s.hash, signature: `0x${s.signature}` })).toBe(vector.wallet);
    expect(tronFromEvm(vector.wallet)).toMatch(/^T/);
  });

  it('another batch id is another transaction; a malformed batch is refused before signing, naming the line', async () => {
    const other = await sign({ ...batch, batchId: `0x${'ab'.repeat(32)}` });
    expect(other.hash).not.toBe(`0x${vector.expected.txID}`);
    const bad = { ...batch, lines: [{ ...batch.lines[0]!, amount: 0n }] };
    await expect(sign(bad)).rejects.toThrow(`payout batch ${batch.batchId}: lines.0.amount: must be above zero`);
  });

  it('the adapter names its chain by mode and keeps the routers in their 20-byte form', () => {
    const c = new TronPayoutChain({
      mode: 'shasta',
      fullNodeUrl: 'https://api.shasta.trongrid.io',
      token: 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t',
      routers: { PR0: tronFromEvm(vector.router), PRKYC: 'TYBNgWfhGuNzdLtjKtxXTfskAhTbMcqbaG' },
    });
    expect(c.chain).toBe('tron:shasta');
    expect(c.routerAddress('PR0')).toBe(vector.router);
    expect(() => new TronPayoutChain({ mode: 'mainnet', fullNodeUrl: 'x', token: 'T', routers: { PR0: 'T', PRKYC: 'T' } })).toThrow('fullNodeUrl x: must be an http(s) URL');
  });
});
