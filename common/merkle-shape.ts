/**
 * The RFC 6962 (Certificate Transparency) tree shape, for any hash: n > 1 leaves split at k,
 * the largest power of two below n; audit paths run leaf to root and are bound to the leaf's
 * index, so a path proven for one position never verifies at another. Session trees use it
 * with BLAKE3, anchor batches with keccak256.
 */

export type NodeHash = (left: Uint8Array, right: Uint8Array) => Uint8Array;

/** An audit path that cannot be folded: says which index, size or length is wrong. */
export class MerklePathError extends Error {}

export interface MerkleTree {
  root: Uint8Array;
  size: number;
  /** The audit path of the leaf at `index`, leaf to root. */
  path(index: number): Uint8Array[];
}

function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Subtree roots are kept, so paths for all n leaves cost O(n) hashes in all. */
export function buildMerkleTree(leaves: readonly Uint8Array[], node: NodeHash): MerkleTree {
  if (leaves.length === 0) throw new MerklePathError('a tree needs at least one leaf');
  const roots = new Map<string, Uint8Array>();
  const rootOf = (start: number, n: number): Uint8Array => {
    if (n === 1) return leaves[start]!;
    const key = `${start}:${n}`;
    let r = roots.get(key);
    if (!r) {
      const k = splitPoint(n);
      r = node(rootOf(start, k), rootOf(start + k, n - k));
      roots.set(key, r);
    }
    return r;
  };
  const size = leaves.length;
  return {
    root: rootOf(0, size),
    size,
    path(index: number): Uint8Array[] {
      checkIndex(index, size);
      const out: Uint8Array[] = [];
      let start = 0;
      let n = size;
      let m = index;
      while (n > 1) {
        const k = splitPoint(n);
        if (m < k) {
          out.push(rootOf(start + k, n - k));
          n = k;
        } else {
          out.push(rootOf(start, k));
          start += k;
          m -= k;
          n -= k;
        }
      }
      return out.reverse();
    },
  };
}

/** RFC 9162 section 2.1.3.2: the root that `path` proves for `leaf` at `index` of `size`. */
export function foldMerklePath(leaf: Uint8Array, index: number, size: number, path: readonly Uint8Array[], node: NodeHash): Uint8Array {
  checkIndex(index, size);
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) throw new MerklePathError(`path has ${path.length} hashes, more than leaf ${index} of a tree of ${size} needs`);
    if (fn % 2 === 1 || fn === sn) {
      r = node(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = node(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new MerklePathError(`path has ${path.length} hashes, fewer than leaf ${index} of a tree of ${size} needs`);
  return r;
}

function checkIndex(index: number, size: number): void {
  if (!Number.isSafeInteger(size) || size < 1) throw new MerklePathError(`tree size ${size} is not a positive integer`);
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) throw new MerklePathError(`leaf index ${index} is out of range for a tree of ${size}`);
}
