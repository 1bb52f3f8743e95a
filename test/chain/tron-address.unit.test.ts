import { z } from 'zod';
import { evmFromTron, parseTronAddress, tronAddressSchema, tronFromEvm } from '../../chain/tron-address';

// Known pairs: anvil's first dev key's address, and mainnet USDT's contract.
const DEV = { tron: 'TYBNgWfhGuNzdLtjKtxXTfskAhTbMcqbaG', evm: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266' } as const;
const USDT = { tron: 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t', evm: '0xa614f803B6FD780986A42c78Ec9c7f77e6DeD13C' } as const;

describe('TRON addresses', () => {
  it('convert both ways between base58check and the 20-byte EVM form', () => {
    for (const a of [DEV, USDT]) {
      expect(evmFromTron(a.tron)).toBe(a.evm);
      expect(tronFromEvm(a.evm)).toBe(a.tron);
      expect(tronFromEvm(a.evm.toLowerCase() as `0x${string}`)).toBe(a.tron);
    }
    expect(tronFromEvm('0x0000000000000000000000000000000000000000')).toBe('T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb');
    expect(evmFromTron('T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb')).toBe('0x0000000000000000000000000000000000000000');
  });

  it('refuse a changed character, a wrong prefix, a wrong length and characters outside base58, saying which', () => {
    const typo = `${DEV.tron.slice(0, 10)}${DEV.tron[10] === 'a' ? 'b' : 'a'}${DEV.tron.slice(11)}`;
    expect(parseTronAddress(typo)).toEqual({ ok: false, reason: 'checksum does not match (a typo?)' });
    expect(parseTronAddress(DEV.tron.slice(0, -1))).toMatchObject({ ok: false, reason: expect.stringContaining('34 characters starting with T') });
    expect(parseTronAddress(`T${'0'.repeat(33)}`)).toMatchObject({ ok: false, reason: expect.stringContaining('no 0, O, I or l') });
    // A bitcoin address is base58check too, with another prefix and length.
    expect(parseTronAddress('1BoatSLRHtKNngkdXEeobR76b53LETtpyT')).toMatchObject({ ok: false });
    // Base58check of 0x42 ‖ the dev address, with a valid checksum: 34 characters starting with T, but not TRON's.
    expect(parseTronAddress('TwWyfcxyz5qsSn2pMKHqwo9XoCiY9LKAe1')).toEqual({ ok: false, reason: "has prefix 0x42, not TRON's 0x41" });
    expect(() => evmFromTron(typo)).toThrow(`TRON address ${typo}: checksum does not match (a typo?)`);
  });

  it('tronAddressSchema yields both forms, and its issue says why', () => {
    expect(tronAddressSchema.parse(` ${USDT.tron} `)).toEqual(USDT);
    const r = z.object({ payout: tronAddressSchema }).safeParse({ payout: USDT.evm });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]).toMatchObject({ path: ['payout'], message: expect.stringContaining('must be a TRON base58check address') });
  });
});
