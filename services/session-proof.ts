import { proofDocumentSchema, withChunkProof, type ProofDocument } from '../anchoring/proof-document';
import type { AnchorStore } from '../stores/anchor-store';
import type { SessionStore } from '../stores/session-store';

export class NoProofError extends Error {}

/**
 * A session's self-contained proof document from what anchoring stored, and
 * with `chunk`, extended down to that chunk's leaf through the session tree.
 */
export async function sessionProofDocument(
  deps: { anchors: AnchorStore; sessions: SessionStore },
  sessionId: string,
  chunk?: number,
): Promise<ProofDocument> {
  const a = await deps.anchors.anchorOf(sessionId);
  if (!a) {
    const known = await deps.sessions.get(sessionId);
    throw new NoProofError(known ? `session ${sessionId} is not anchored yet (see lucid anchor status)` : `no session '${sessionId}' (see lucid session list)`);
  }
  const doc = proofDocumentSchema.parse({
    v: 1,
    alg: 'keccak256-rfc6962',
    sessionId,
    sessionRoot: `0x${a.sessionRoot}`,
    leafIndex: a.leafIndex,
    treeSize: a.count,
    path: a.path,
    batch: { id: a.batchId, root: a.batchRoot, count: a.count },
    anchor: {
      chainId: a.receipt.chainId,
      contract: a.receipt.contract,
      txHash: a.receipt.txHash,
      blockNumber: a.receipt.blockNumber,
      blockHash: a.receipt.blockHash,
      logIndex: a.receipt.logIndex,
    },
  });
  if (chunk === undefined) return doc;
  const manifest = await deps.sessions.get(sessionId);
  if (!manifest) throw new NoProofError(`no session '${sessionId}' (see lucid session list)`);
  return withChunkProof(doc, manifest.chunks.map((c) => c.leaf), chunk);
}
