import { heartbeat } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { batchId as batchIdOf, buildBatchTree, sessionLeaf } from '../../anchoring/batch-tree';
import type { AnchorChain } from '../../chain/anchor-chain';
import type { AnchorStore, SessionAnchor } from '../../stores/anchor-store';
import type { SessionStore } from '../../stores/session-store';
import { queueForAnchoring, startAnchorBatch } from '../../triggers/anchor-batcher';
import type {
  AnchorReceipt,
  AnchorRequest,
  BatcherSettings,
  IndexPage,
  SealedBatch,
  SignedAnchor,
} from '../../workflows/anchor-types';

export interface AnchorControlDeps {
  anchors: AnchorStore;
  sessions: SessionStore;
  client: Client;
  /** The chain as the console reads it (no key): for the event index. */
  chain: () => AnchorChain;
  batcher: BatcherSettings;
}

/**
 * Block hashes kept to notice a chain that changed under the index (a reorg, a dev chain restarted without its last blocks),
 * and how far below the head anchors' receipts are checked against the chain.
 */
const RECENT_BLOCKS = 64;

/** Anchoring's control-plane side: sealing batches, proofs and the event index in MongoDB. It never holds the chain key. */
export function createAnchorControlActivities(deps: AnchorControlDeps) {
  const { anchors, sessions } = deps;
  return {
    /** The session workflow's hand-off: the batcher is started by the first session that needs it. */
    async queueForAnchoring(input: AnchorRequest): Promise<void> {
      await queueForAnchoring(deps.client, input, deps.batcher);
    },

    /**
     * Fixes a batch's contents and id. A session already sealed into another
     * batch stays there (a redelivered request never anchors a session twice);
     * a retry of this activity finds its own batch again.
     */
    async sealAnchorBatch(input: { sessions: AnchorRequest[] }): Promise<SealedBatch | null> {
      let members = input.sessions;
      for (;;) {
        if (members.length === 0) return null;
        const leaves = members.map((s) => sessionLeaf(s.sessionId, `0x${s.root}`));
        const id = batchIdOf(leaves);
        const sealedIn = await anchors.batchesOf(members.map((s) => s.sessionId));
        const elsewhere = members.filter((s) => sealedIn.has(s.sessionId) && sealedIn.get(s.sessionId) !== id);
        if (elsewhere.length > 0) {
          members = members.filter((s) => !elsewhere.includes(s));
          continue;
        }
        const sessionIds = members.map((s) => s.sessionId);
        const batch: SealedBatch = { batchId: id, root: buildBatchTree(leaves).root, count: leaves.length, sessionIds };
        await anchors.seal(batch, members);
        return batch;
      }
    },

    async signedAnchorOf(input: { batchId: string }): Promise<SignedAnchor | null> {
      return (await anchors.batch(input.batchId))?.signed ?? null;
    },

    async recordSignedAnchor(input: { signed: SignedAnchor }): Promise<void> {
      await anchors.recordSigned(input.signed);
    },

    /** Each session's proof to MongoDB `anchors`, and its manifest marked anchored. */
    /** A batch the chain refused (an unauthorised key, say): kept with the reason for `anchor status` and `anchor retry`. */
    async recordAnchorFailure(input: { batchId: string; reason: string }): Promise<void> {
      await anchors.recordFailure(input.batchId, input.reason);
    },

    async recordAnchors(input: { batch: SealedBatch; receipt: AnchorReceipt }): Promise<void> {
      const { batch, receipt } = input;
      const doc = await anchors.batch(batch.batchId);
      if (!doc) throw new Error(`batch ${batch.batchId}: not sealed in MongoDB`);
      const tree = buildBatchTree(doc.sessions.map((s) => sessionLeaf(s.sessionId, `0x${s.root}`)));
      const now = new Date();
      const proofs: SessionAnchor[] = [];
      for (const [leafIndex, s] of doc.sessions.entries()) {
        const manifest = await sessions.get(s.sessionId);
        proofs.push({
          sessionId: s.sessionId,
          sessionRoot: s.root,
          batchId: batch.batchId,
          batchRoot: tree.root,
          count: tree.size,
          leafIndex,
          path: tree.path(leafIndex),
          receipt,
          anchoredAt: now,
          latencySeconds: manifest ? (now.getTime() - Date.parse(manifest.endedAt)) / 1000 : 0,
        });
      }
      await anchors.recordAnchored(batch.batchId, receipt, proofs);
      for (const s of doc.sessions) {
        await sessions.markAnchored(s.sessionId, { batchId: batch.batchId, txHash: receipt.txHash, blockNumber: receipt.blockNumber });
      }
    },

    /**
     * One page of `Anchored` events into `anchor_events`. Before reading, the
     * index checks the chain still has what it recorded: the newest recorded
     * block hash that still matches (a block's hash commits to all before it)
     * is where the index is sound, and it rewinds to the block after it, which
     * is at most the head + 1 even when the chain came back below the recorded
     * blocks. Anchored batches whose receipt's block is gone or changed (read
     * by the index or not yet) are anchored again: same batch id, the same
     * signed bytes when still valid, and the proofs follow the new block.
     */
    async indexAnchorEvents(input: { pageSize: number }): Promise<IndexPage> {
      const chain = deps.chain();
      let { next, recent } = await anchors.cursor();
      const head = (await chain.head()).number;
      const hashes = new Map<number, string | null>();
      const hashAt = async (n: number): Promise<string | null> => {
        if (!hashes.has(n)) hashes.set(n, await chain.blockHash(n));
        return hashes.get(n)!;
      };

      let rewoundTo: number | undefined;
      const newestFirst = [...recent].sort((x, y) => y.number - x.number);
      if (newestFirst.length > 0 && (await hashAt(newestFirst[0]!.number)) !== newestFirst[0]!.hash) {
        let sound: number | undefined;
        for (const b of newestFirst.slice(1)) {
          if ((await hashAt(b.number)) !== b.hash) continue;
          sound = b.number;
          break;
        }
        // No recorded block left on this chain: read it all again.
        rewoundTo = sound === undefined ? 0 : sound + 1;
        next = Math.min(next, rewoundTo);
        recent = recent.filter((b) => b.number < rewoundTo!);
      }
      const suspects = new Set<string>(rewoundTo === undefined ? [] : await anchors.dropEventsFrom(rewoundTo));
      for (const b of await anchors.anchoredSince(head - RECENT_BLOCKS)) suspects.add(b.batchId);
      const reanchored: string[] = [];
      for (const batchId of suspects) if (await anchorAgainIfLost(batchId, hashAt)) reanchored.push(batchId);

      const toBlock = Math.min(head, next + input.pageSize - 1);
      if (toBlock < next) {
        await anchors.saveCursor(next, recent);
        return { fromBlock: next, toBlock: next - 1, events: 0, head, rewoundTo, reanchored };
      }
      const events = await chain.anchoredEvents(next, toBlock);
      await anchors.addEvents(events.map((e) => ({ ...e, blockNumber: Number(e.blockNumber), logIndex: Number(e.logIndex) })));
      const tip = { number: toBlock, hash: (await chain.blockHash(toBlock))! };
      const keep = [...recent, ...events.map((e) => ({ number: Number(e.blockNumber), hash: e.blockHash })), tip];
      const unique = [...new Map(keep.map((b) => [b.number, b])).values()].sort((a, b) => a.number - b.number).slice(-RECENT_BLOCKS);
      await anchors.saveCursor(toBlock + 1, unique);
      heartbeat(toBlock);
      return { fromBlock: next, toBlock, events: events.length, head, rewoundTo, reanchored };
    },
  };

  /**
   * A batch recorded as anchored in a block the chain no longer has (or has
   * with another hash): its proofs are withdrawn and its workflow runs again,
   * which finds the anchor where the chain has it now, or sends it again.
   * A batch with no receipt yet is left to the workflow that is anchoring it.
   */
  async function anchorAgainIfLost(batchId: string, hashAt: (n: number) => Promise<string | null>): Promise<boolean> {
    const doc = await anchors.batch(batchId);
    if (!doc?.receipt) return false;
    if ((await hashAt(doc.receipt.blockNumber)) === doc.receipt.blockHash) return false;
    await anchors.forgetAnchor(batchId);
    await sessions.unmarkAnchored(doc.sessions.map((s) => s.sessionId));
    const batch = { batchId, root: doc.root, count: doc.count, sessionIds: doc.sessions.map((s) => s.sessionId) };
    await startAnchorBatch(deps.client, batch, deps.batcher.confirmations);
    return true;
  }
}

export type AnchorControlActivities = ReturnType<typeof createAnchorControlActivities>;
