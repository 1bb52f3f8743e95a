import { hkdfSync } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChunkAuthError, chunkAad, openChunk, sealChunk } from '../../sessions/chunk-cipher';
import { ChunkIntegrityError, ChunkOpener, ChunkSealer } from '../../sessions/chunk-codec';
import { ChunkStore } from '../../sessions/chunk-store';
import { leafHash, merkleRoot } from '../../sessions/merkle-tree';
import { deriveSessionKey } from '../../sessions/session-key';

/** Made by test/fixtures/vectors/generate.py with PyPI blake3 and Python's hmac, not with this code. */
const vectors = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/vectors/session-crypto.json'), 'utf8')) as {
  merkle: Array<{ leaves: number; root: string }>;
  leafOfAbc: string;
  sessionKeys: Array<{ nodeKey: string; sessionId: string; key: string }>;
};

describe('BLAKE3 Merkle tree', () => {
  it('hashes a leaf as BLAKE3(0x00 ‖ data)', () => {
    expect(leafHash(Buffer.from('abc')).toString('hex')).toBe(vectors.leafOfAbc);
  });

  it.each(vectors.merkle.map((v) => [v.leaves, v.root] as const))('root of %i leaves matches the reference', (n, root) => {
    const leaves = Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`chunk-${i}`)));
    expect(merkleRoot(leaves).toString('hex')).toBe(root);
  });

  it('a changed, dropped or swapped leaf changes the root', () => {
    const leaves = Array.from({ length: 5 }, (_, i) => leafHash(Buffer.from(`chunk-${i}`)));
    const root = merkleRoot(leaves).toString('hex');
    expect(merkleRoot(leaves.slice(0, 4)).toString('hex')).not.toBe(root);
    expect(merkleRoot([leaves[1]!, leaves[0]!, ...leaves.slice(2)]).toString('hex')).not.toBe(root);
    expect(merkleRoot([...leaves.slice(0, 4), leafHash(Buffer.from('other'))]).toString('hex')).not.toBe(root);
  });
});

describe('session key (HKDF-SHA256)', () => {
  // RFC 5869 appendix A, test cases 1 and 3: the primitive the session key is built on.
  it.each([
    ['0b'.repeat(22), '000102030405060708090a0b0c', 'f0f1f2f3f4f5f6f7f8f9', 42, '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865'],
    ['0b'.repeat(22), '', '', 42, '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8'],
  ])('RFC 5869 vector (ikm %s)', (ikm, salt, info, length, okm) => {
    expect(Buffer.from(hkdfSync('sha256', Buffer.from(ikm, 'hex'), Buffer.from(salt, 'hex'), Buffer.from(info, 'hex'), length)).toString('hex')).toBe(okm);
  });

  it.each(vectors.sessionKeys.map((v) => [v.sessionId, v] as const))('derives the reference key of session %s', (_id, v) => {
    expect(deriveSessionKey(Buffer.from(v.nodeKey, 'hex'), v.sessionId).toString('hex')).toBe(v.key);
  });

  it('refuses a node key that is not 32 bytes', () => {
    expect(() => deriveSessionKey(Buffer.alloc(16), 's')).toThrow(/32 bytes, got 16/);
  });
});

describe('chunk sealing', () => {
  const key = deriveSessionKey(Buffer.alloc(32, 1), 'sess');

  it('opens what it sealed, only at the same session and index', () => {
    const { nonce, ciphertext } = sealChunk(key, 'sess', 7, Buffer.from('media'));
    expect(nonce).toHaveLength(24);
    expect(openChunk(key, 'sess', 7, nonce, ciphertext).toString()).toBe('media');
    expect(() => openChunk(key, 'sess', 8, nonce, ciphertext)).toThrow(ChunkAuthError);
    expect(() => openChunk(key, 'other', 7, nonce, ciphertext)).toThrow(ChunkAuthError);
    expect(() => openChunk(deriveSessionKey(Buffer.alloc(32, 2), 'sess'), 'sess', 7, nonce, ciphertext)).toThrow(ChunkAuthError);
  });

  it('binds session id and index into the associated data without ambiguity', () => {
    expect(chunkAad('a', 1)).not.toEqual(chunkAad('a', 256));
    expect(chunkAad('ab', 1)).not.toEqual(chunkAad('a', 1));
  });

  it('stores by leaf hash and reads back through every check; a flipped byte is an AEAD failure', async () => {
    const store = new ChunkStore(fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-chunks-')));
    const media = Buffer.concat([Buffer.alloc(100_000, 'a'), Buffer.from('end')]);
    const sealer = new ChunkSealer(key, 'sess', store, 3);
    const record = await sealer.seal(0, Buffer.from(media));
    await sealer.close();
    expect(record.stored).toBeLessThan(media.length); // compressed before sealing
    const file = store.pathOf(record.leaf);
    expect(leafHash(fs.readFileSync(file)).toString('hex')).toBe(record.leaf);
    expect(new ChunkOpener(key, 'sess', store).open(record)).toEqual(media);

    const bytes = fs.readFileSync(file);
    bytes[10] ^= 0x01;
    fs.writeFileSync(file, bytes);
    const err = (() => {
      try {
        new ChunkOpener(key, 'sess', store).open(record);
      } catch (e) {
        return e as ChunkIntegrityError;
      }
      throw new Error('opened a tampered chunk');
    })();
    expect(err).toBeInstanceOf(ChunkIntegrityError);
    expect(err.kind).toBe('aead-failure');
    expect(err.message).toMatch(/chunk 0 .*AEAD check failed/);
  });
});
