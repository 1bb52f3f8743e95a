import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Hex } from 'viem';
import { batchId, buildBatchTree, foldPath, sessionLeaf } from '../../anchoring/batch-tree';
import { MerklePathError } from '../../common/merkle-shape';
import { chunkPath, foldBlake3Path, merkleRoot } from '../../sessions/merkle-tree';

// Made by test/fixtures/vectors/anchor_vectors.py with pycryptodome's keccak and PyPI blake3.
const vectors = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/vectors/anchor-vectors.json'), 'utf8')) as {
  batches: Array<{ sessions: Array<{ sessionId: string; sessionRoot: Hex }>; leaves: Hex[]; root: Hex; batchId: Hex; paths: Hex[][] }>;
  chunks: Array<{ leaves: string[]; root: string; paths: string[][] }>;
};

describe('anchor batch tree (keccak256, RFC 6962 shape)', () => {
  it.each(vectors.batches.map((b) => [b.sessions.length, b] as const))('matches the independent vectors for %i sessions', (_n, b) => {
    const leaves = b.sessions.map((s) => sessionLeaf(s.sessionId, s.sessionRoot));
    expect(leaves).toEqual(b.leaves);
    const tree = buildBatchTree(leaves);
    expect(tree).toMatchObject({ root: b.root, size: leaves.length, id: b.batchId });
    expect(batchId(leaves)).toBe(b.batchId);
    leaves.forEach((leaf, i) => {
      expect(tree.path(i)).toEqual(b.paths[i]);
      expect(foldPath(leaf, i, leaves.length, b.paths[i]!)).toBe(b.root);
    });
  });

  it('binds the path to the index: a path folded at another index does not give the root, a wrong length is named', () => {
    const b = vectors.batches.find((x) => x.sessions.length === 13)!;
    const tree = buildBatchTree(b.leaves);
    expect(foldPath(b.leaves[4]!, 5, 13, tree.path(4))).not.toBe(b.root);
    expect(() => foldPath(b.leaves[12]!, 12, 13, tree.path(11))).toThrow(MerklePathError);
    expect(() => foldPath(b.leaves[12]!, 13, 13, tree.path(12))).toThrow('leaf index 13 is out of range for a tree of 13');
    expect(() => foldPath(b.leaves[0]!, 0, 13, tree.path(0).slice(1))).toThrow('fewer than leaf 0 of a tree of 13 needs');
    expect(() => foldPath(b.leaves[0]!, 0, 13, [...tree.path(0), b.root])).toThrow('more than leaf 0 of a tree of 13 needs');
  });

  it('refuses what cannot be a leaf or a batch, naming it', () => {
    expect(() => sessionLeaf('s-1', '0x1234' as Hex)).toThrow('session s-1: sessionRoot 0x1234: must be 0x and 64 hex digits (32 bytes)');
    expect(() => sessionLeaf('', `0x${'00'.repeat(32)}`)).toThrow('sessionId: must not be empty');
    expect(() => buildBatchTree([])).toThrow('a batch needs at least one leaf');
    expect(() => buildBatchTree([`0x${'00'.repeat(32)}`, '0xzz' as Hex])).toThrow('leaf 1: must be 0x and 64 hex digits');
  });

  it('one session is its own root; its id still depends on the size', () => {
    const leaf = sessionLeaf('only', `0x${'ab'.repeat(32)}`);
    const tree = buildBatchTree([leaf]);
    expect(tree.root).toBe(leaf);
    expect(tree.path(0)).toEqual([]);
    expect(tree.id).not.toBe(buildBatchTree([leaf, leaf]).id);
  });
});

describe('chunk audit paths (BLAKE3 session tree)', () => {
  it.each(vectors.chunks.map((c) => [c.leaves.length, c] as const))('match the independent vectors for %i chunks and fold to the session root', (_n, c) => {
    const leaves = c.leaves.map((l) => Buffer.from(l, 'hex'));
    expect(merkleRoot(leaves).toString('hex')).toBe(c.root);
    leaves.forEach((leaf, i) => {
      const p = chunkPath(leaves, i);
      expect(p.map((h) => h.toString('hex'))).toEqual(c.paths[i]);
      expect(foldBlake3Path(leaf, i, leaves.length, p).toString('hex')).toBe(c.root);
    });
  });

  it('agrees with merkleRoot for every size up to 70', () => {
    for (let n = 1; n <= 70; n++) {
      const leaves = Array.from({ length: n }, (_, i) => Buffer.alloc(32, i));
      const root = merkleRoot(leaves);
      for (const i of [0, Math.floor(n / 2), n - 1]) expect(foldBlake3Path(leaves[i]!, i, n, chunkPath(leaves, i)).equals(root)).toBe(true);
    }
  });
});
