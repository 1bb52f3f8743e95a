import { bytesToHex, concat, hexToBytes, keccak256, numberToHex, stringToHex, type Hex } from 'viem';
import { z } from 'zod';
import { buildMerkleTree, foldMerklePath } from '../common/merkle-shape';

/**
 * The anchor batch tree: keccak256 in the RFC 6962 shape, because keccak256 is an opcode on
 * the EVM (and TRON's TVM), so LucidAnchor.verifyInclusion folds the same paths on chain.
 * Leaves and inner nodes are domain-separated (0x00 / 0x01) so no inner node passes for a leaf.
 */

export const hash32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'must be 0x and 64 hex digits (32 bytes)').transform((h) => h.toLowerCase() as Hex);

const LEAF = '0x00';
const BATCH_ID_DOMAIN = stringToHex('lucid-anchor-batch:v1');

/** keccak256(0x01 ‖ left ‖ right). */
function node(left: Uint8Array, right: Uint8Array): Uint8Array {
  const buf = new Uint8Array(65);
  buf[0] = 0x01;
  buf.set(left, 1);
  buf.set(right, 33);
  return keccak256(buf, 'bytes');
}

/** keccak256(0x00 ‖ keccak256(utf8 sessionId) ‖ sessionRoot): binds the session's id to its BLAKE3 root. */
export function sessionLeaf(sessionId: string, sessionRoot: Hex): Hex {
  if (sessionId.length === 0) throw new Error('sessionLeaf: sessionId: must not be empty');
  const root = hash32.safeParse(sessionRoot);
  if (!root.success) throw new Error(`sessionLeaf: session ${sessionId}: sessionRoot ${String(sessionRoot)}: ${root.error.issues[0]!.message}`);
  return keccak256(concat([LEAF, keccak256(stringToHex(sessionId)), root.data]));
}

export interface BatchTree {
  root: Hex;
  size: number;
  /** Derived from the contents alone: the same sessions in the same order give the same id. */
  id: Hex;
  /** Audit path of the leaf at `index`, leaf to root. */
  path(index: number): Hex[];
}

export function buildBatchTree(leaves: readonly Hex[]): BatchTree {
  const bytes = leaves.map((l, i) => {
    const h = hash32.safeParse(l);
    if (!h.success) throw new Error(`buildBatchTree: leaf ${i}: ${h.error.issues[0]!.message}`);
    return hexToBytes(h.data);
  });
  if (bytes.length === 0) throw new Error('buildBatchTree: a batch needs at least one leaf');
  const tree = buildMerkleTree(bytes, node);
  const root = bytesToHex(tree.root);
  return {
    root,
    size: tree.size,
    id: batchIdOf(root, tree.size),
    path: (index) => tree.path(index).map((h) => bytesToHex(h)),
  };
}

/** keccak256("lucid-anchor-batch:v1" ‖ root ‖ size as uint256): two batches share an id only if they share their leaves. */
export function batchIdOf(root: Hex, size: number): Hex {
  return keccak256(concat([BATCH_ID_DOMAIN, root, numberToHex(size, { size: 32 })]));
}

export function batchId(leaves: readonly Hex[]): Hex {
  return buildBatchTree(leaves).id;
}

/** The root that `path` proves for `leaf` at `index` of a batch of `size`; a MerklePathError names a bad index or length. */
export function foldPath(leaf: Hex, index: number, size: number, path: readonly Hex[]): Hex {
  return bytesToHex(foldMerklePath(hexToBytes(leaf), index, size, path.map((p) => hexToBytes(p)), node));
}
