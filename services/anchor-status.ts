import { AnchorChain } from '../chain/anchor-chain';
import type { ChainEndpoint } from '../config/chain-config';
import type { AnchorStore } from '../stores/anchor-store';
import type { SessionStore } from '../stores/session-store';

export interface AnchorStatus {
  /** Stored sessions with chunks whose root is not anchored yet. */
  pending: number;
  lastBatch: { id: string; root: string; count: number; txHash: string; block: number } | null;
  chainHead: number | null;
  /** Why the chain did not answer, when it did not. */
  chainError?: string;
  /** The next block the event indexer reads. */
  indexerBlock: number;
  indexedEvents: number;
  latencySeconds: { p50: number | null; p95: number | null };
  /** Batches the chain refused, newest first, with why: `lucid anchor retry <batchId>` runs one again. */
  failed: Array<{ batchId: string; reason: string }>;
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** What `lucid anchor status` and `/metrics` report: the queue, the last batch, the chain and the index. */
export async function anchorStatus(deps: { anchors: AnchorStore; sessions: SessionStore; chain: ChainEndpoint }): Promise<AnchorStatus> {
  const [pending, last, cursor, latencies, indexedEvents, failed] = await Promise.all([
    deps.sessions.unanchoredCount(),
    deps.anchors.lastAnchoredBatch(),
    deps.anchors.cursor(),
    deps.anchors.latencies(),
    deps.anchors.eventCount(),
    deps.anchors.failedBatches(),
  ]);
  let chainHead: number | null = null;
  let chainError: string | undefined;
  try {
    chainHead = (await new AnchorChain(deps.chain).head()).number;
  } catch (err) {
    chainError = `chain unreachable: ${(err as Error).message}`;
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    pending,
    lastBatch: last?.receipt
      ? { id: last._id, root: last.root, count: last.count, txHash: last.receipt.txHash, block: last.receipt.blockNumber }
      : null,
    chainHead,
    ...(chainError ? { chainError } : {}),
    indexerBlock: cursor.next,
    indexedEvents,
    latencySeconds: { p50: percentile(sorted, 50), p95: percentile(sorted, 95) },
    failed: failed.map((f) => ({ batchId: f.batchId, reason: f.reason })),
  };
}
