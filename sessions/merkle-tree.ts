import { Blake3Hasher, blake3 } from '@napi-rs/blake-hash';
import { buildMerkleTree, foldMerklePath } from '../common/merkle-shape';

const LEAF = Buffer.from([0x00]);
const NODE = Buffer.from([0x01]);

/** BLAKE3 of 0x00 ‖ data: a leaf can never be mistaken for an inner node (second-preimage resistance). */
export function leafHash(data: Buffer): Buffer {
  return new Blake3Hasher().update(LEAF).update(data).digestBuffer();
}

/** BLAKE3 of 0x01 ‖ left ‖ right. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return blake3(Buffer.concat([NODE, left, right]));
}

/**
 * The Merkle root over leaf hashes, in the shape of RFC 6962 (Certificate
 * Transparency) with BLAKE3: no leaves hash to BLAKE3(""); one leaf is its own
 * root; n > 1 leaves split at k, the largest power of two below n, and the
 * root is nodeHash(root(leaves[0..k)), root(leaves[k..n))). Odd leaves are
 * never duplicated, so no two leaf lists share a root.
 */
export function merkleRoot(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) return blake3(Buffer.alloc(0));
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(merkleRoot(leaves.slice(0, k)), merkleRoot(leaves.slice(k)));
}

/** The audit path (leaf to root) that proves chunk `index`'s leaf up to the session root. */
export function chunkPath(leaves: readonly Buffer[], index: number): Buffer[] {
  return buildMerkleTree(leaves, nodeHash).path(index).map((h) => Buffer.from(h));
}

/** The session root that `path` proves for chunk `index` of `size`; a MerklePathError names a bad index or length. */
export function foldBlake3Path(leaf: Buffer, index: number, size: number, path: readonly Buffer[]): Buffer {
  return Buffer.from(foldMerklePath(leaf, index, size, path, nodeHash));
}
