import { bytesToHex, hexToBytes, type Hex } from 'viem';
import { z } from 'zod';
import { MerklePathError } from '../common/merkle-shape';
import { chunkPath, foldBlake3Path, merkleRoot } from '../sessions/merkle-tree';
import { AnchorChain, AnchorChainError, addressSchema } from '../chain/anchor-chain';
import { batchIdOf, buildBatchTree, foldPath, hash32, sessionLeaf } from './batch-tree';

const index = z.number().int().nonnegative().max(2 ** 53 - 1);
const count = z.number().int().positive().max(2 ** 53 - 1);

/**
 * A self-contained proof that a session (and optionally one of its chunks) was anchored:
 * checkable with any keccak256 and BLAKE3 library and an EVM node, without Lucid.
 *
 * - session leaf = keccak256(0x00 ‖ keccak256(utf8 sessionId) ‖ sessionRoot); inner node
 *   keccak256(0x01 ‖ L ‖ R); RFC 6962 tree shape; `path` runs leaf to root (RFC 9162 2.1.3.2);
 * - batch.id = keccak256("lucid-anchor-batch:v1" ‖ batch.root ‖ batch.count as uint256);
 * - anchor: the transaction whose log `logIndex` is LucidAnchor's Anchored(batch.id, batch.root, …);
 * - chunk: the chunk's leaf BLAKE3(0x00 ‖ ciphertext) and its path (BLAKE3, inner node
 *   BLAKE3(0x01 ‖ L ‖ R), same shape) up to sessionRoot.
 */
export const proofDocumentSchema = z
  .object({
    v: z.literal(1),
    alg: z.literal('keccak256-rfc6962'),
    sessionId: z.string().min(1),
    sessionRoot: hash32,
    leafIndex: index,
    treeSize: count,
    path: z.array(hash32),
    batch: z.object({ id: hash32, root: hash32, count }).strict(),
    anchor: z
      .object({
        chainId: count,
        contract: addressSchema,
        txHash: hash32,
        blockNumber: index,
        blockHash: hash32,
        logIndex: index,
      })
      .strict(),
    chunk: z
      .object({ alg: z.literal('blake3-rfc6962'), index, leaf: hash32, path: z.array(hash32), count })
      .strict()
      .optional(),
  })
  .strict();

export type ProofDocument = z.output<typeof proofDocumentSchema>;

/**
 * The proof of the session at `index` of a batch, from the batch's sessions in the order they
 * were anchored and the anchor transaction's coordinates.
 */
export function sessionProof(opts: {
  sessions: ReadonlyArray<{ sessionId: string; sessionRoot: Hex }>;
  index: number;
  anchor: ProofDocument['anchor'];
}): ProofDocument {
  const tree = buildBatchTree(opts.sessions.map((s) => sessionLeaf(s.sessionId, s.sessionRoot)));
  const session = opts.sessions[opts.index];
  if (!session) throw new Error(`sessionProof: index ${opts.index} is out of range for a batch of ${opts.sessions.length}`);
  return {
    v: 1,
    alg: 'keccak256-rfc6962',
    sessionId: session.sessionId,
    sessionRoot: session.sessionRoot.toLowerCase() as Hex,
    leafIndex: opts.index,
    treeSize: tree.size,
    path: tree.path(opts.index),
    batch: { id: tree.id, root: tree.root, count: tree.size },
    anchor: opts.anchor,
  };
}

/** Extends a session's proof down to chunk `index`, given the session's chunk leaves (hex, as the manifest lists them). */
export function withChunkProof(doc: ProofDocument, chunkLeaves: readonly string[], index: number): ProofDocument {
  const leaves = chunkLeaves.map((l, i) => {
    const hex = l.startsWith('0x') ? l.slice(2) : l;
    if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error(`session ${doc.sessionId}: chunk ${i}: leaf is not 32 bytes of hex`);
    return Buffer.from(hex, 'hex');
  });
  const root = `0x${merkleRoot(leaves).toString('hex')}`;
  if (root !== doc.sessionRoot) throw new Error(`session ${doc.sessionId}: its ${leaves.length} chunk leaves make root ${root}, the proof's sessionRoot is ${doc.sessionRoot}`);
  if (!Number.isSafeInteger(index) || index < 0 || index >= leaves.length) throw new Error(`session ${doc.sessionId}: chunk ${index} is out of range for ${leaves.length} chunks`);
  return {
    ...doc,
    chunk: {
      alg: 'blake3-rfc6962',
      index,
      leaf: bytesToHex(leaves[index]!),
      path: chunkPath(leaves, index).map((p) => bytesToHex(p)),
      count: leaves.length,
    },
  };
}

export interface ProofCheck {
  check: string;
  ok: boolean;
  detail?: string;
}

export interface ProofVerdict {
  ok: boolean;
  checks: ProofCheck[];
  /** The first check that failed, in words. */
  failure?: string;
}

/** Folds the paths and recomputes the batch id: what the document itself can prove, with no chain. */
export function verifyProofOffline(input: unknown): ProofVerdict {
  return new Checks().run((c) => offline(c, input));
}

/**
 * The offline checks, then against the chain at `rpcUrl` (not against any copy Lucid keeps): the
 * chain id, the transaction's receipt and its Anchored log at `logIndex` (contract, batch id and
 * root topics, count), the block being canonical with at least `minConfirmations`, the contract's
 * `rootOf(batch.id)`, and the contract's own `verifyInclusion` of the session leaf.
 */
export async function verifyProofOnChain(input: unknown, rpcUrl: string, minConfirmations = 1): Promise<ProofVerdict> {
  return new Checks().runAsync(async (c) => {
    const doc = offline(c, input);
    if (!doc) return;
    const { anchor, batch } = doc;
    const chain = new AnchorChain({ rpcUrl, contract: anchor.contract });
    try {
      const chainId = await chain.chainId();
      if (!c.expect('chain id', chainId === anchor.chainId, `the RPC serves chain ${chainId}, the proof is anchored on chain ${anchor.chainId}`)) return;

      const receipt = await chain.receipt(anchor.txHash);
      if (!c.expect('transaction mined', receipt !== null, `transaction ${anchor.txHash} is not on chain ${chainId} (not mined, or its block was lost to a reorg or a restarted chain)`)) return;
      if (!c.expect('transaction succeeded', receipt!.status === 'success', `transaction ${anchor.txHash} reverted`)) return;
      if (
        !c.expect(
          'transaction block',
          receipt!.blockHash === anchor.blockHash && receipt!.blockNumber === anchor.blockNumber,
          `transaction ${anchor.txHash} is in block ${receipt!.blockNumber} (${receipt!.blockHash}), the proof names block ${anchor.blockNumber} (${anchor.blockHash})`,
        )
      )
        return;
      const canonical = await chain.blockHash(anchor.blockNumber);
      if (!c.expect('block canonical', canonical === anchor.blockHash, `block ${anchor.blockNumber} is ${canonical ?? 'beyond the head'} on chain ${chainId}, not ${anchor.blockHash}`)) return;

      const event = receipt!.events.find((e) => e.logIndex === anchor.logIndex);
      const seen = receipt!.events.map((e) => e.logIndex).join(', ') || 'none';
      if (
        !c.expect(
          'Anchored event',
          event !== undefined,
          `event missing: transaction ${anchor.txHash} has no Anchored event of ${anchor.contract} at log index ${anchor.logIndex} (Anchored events at: ${seen})`,
        )
      )
        return;
      if (
        !c.expect(
          'event names the batch',
          event!.batchId === batch.id && event!.root === batch.root && event!.count === batch.count,
          `the Anchored event at log ${anchor.logIndex} is batch ${event!.batchId}, root ${event!.root}, count ${event!.count}; the proof names batch ${batch.id}, root ${batch.root}, count ${batch.count}`,
        )
      )
        return;
      const confirmations = receipt!.confirmations;
      if (!c.expect('confirmations', confirmations >= minConfirmations, `not enough confirmations: ${confirmations}, at least ${minConfirmations} wanted`)) return;

      const root = await chain.anchoredRoot(batch.id);
      if (!c.expect('contract root', root === batch.root, `root mismatch: the contract holds ${root ?? 'no root'} for batch ${batch.id}, the proof names ${batch.root}`)) return;
      const included = await chain.verifyInclusion(batch.id, sessionLeaf(doc.sessionId, doc.sessionRoot), doc.leafIndex, doc.treeSize, doc.path);
      c.expect('contract verifyInclusion', included, `LucidAnchor.verifyInclusion refused session ${doc.sessionId} at index ${doc.leafIndex} of batch ${batch.id}`);
    } catch (e) {
      if (!(e instanceof AnchorChainError)) throw e;
      c.expect('chain reachable', false, e.message);
    }
  });
}

function offline(c: Checks, input: unknown): ProofDocument | undefined {
  const parsed = proofDocumentSchema.safeParse(input);
  const issue = parsed.success ? undefined : parsed.error.issues[0]!;
  if (!c.expect('document', parsed.success, issue && `proof document: ${issue.path.join('.') || '(root)'}: ${issue.message}`)) return undefined;
  const doc = parsed.data!;
  const { batch } = doc;

  if (!c.expect('tree size', doc.treeSize === batch.count, `treeSize ${doc.treeSize} differs from batch.count ${batch.count}`)) return undefined;
  if (!c.expect('leaf index', doc.leafIndex < doc.treeSize, `leafIndex ${doc.leafIndex} is out of range for a batch of ${doc.treeSize}`)) return undefined;
  if (!c.expect('batch id', batchIdOf(batch.root, batch.count) === batch.id, `batch.id ${batch.id} is not the id of batch.root and batch.count`)) return undefined;
  const folded = fold(() => foldPath(sessionLeaf(doc.sessionId, doc.sessionRoot), doc.leafIndex, doc.treeSize, doc.path));
  if (
    !c.expect(
      'session path',
      folded.root === batch.root,
      folded.error ?? `path does not fold to the batch root: session ${doc.sessionId} at index ${doc.leafIndex} folds to ${folded.root}, batch.root is ${batch.root}`,
    )
  )
    return undefined;

  if (doc.chunk) {
    const { chunk } = doc;
    if (!c.expect('chunk index', chunk.index < chunk.count, `chunk.index ${chunk.index} is out of range for a session of ${chunk.count} chunks`)) return undefined;
    const chunkRoot = fold(() =>
      bytesToHex(foldBlake3Path(Buffer.from(hexToBytes(chunk.leaf)), chunk.index, chunk.count, chunk.path.map((p) => Buffer.from(hexToBytes(p))))),
    );
    if (
      !c.expect(
        'chunk path',
        chunkRoot.root === doc.sessionRoot,
        chunkRoot.error ?? `chunk path does not fold to the session root: chunk ${chunk.index} folds to ${chunkRoot.root}, sessionRoot is ${doc.sessionRoot}`,
      )
    )
      return undefined;
  }
  return doc;
}

function fold(f: () => Hex): { root?: Hex; error?: string } {
  try {
    return { root: f() };
  } catch (e) {
    if (e instanceof MerklePathError) return { error: e.message };
    throw e;
  }
}

class Checks {
  readonly checks: ProofCheck[] = [];

  expect(check: string, ok: boolean, detail?: string): boolean {
    this.checks.push(ok ? { check, ok } : { check, ok, detail });
    return ok;
  }

  run(f: (c: Checks) => unknown): ProofVerdict {
    f(this);
    return this.verdict();
  }

  async runAsync(f: (c: Checks) => Promise<unknown>): Promise<ProofVerdict> {
    await f(this);
    return this.verdict();
  }

  private verdict(): ProofVerdict {
    const failed = this.checks.find((c) => !c.ok);
    return failed ? { ok: false, checks: this.checks, failure: failed.detail ?? failed.check } : { ok: true, checks: this.checks };
  }
}
