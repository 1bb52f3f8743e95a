import { MongoBulkWriteError, type Collection, type Db } from 'mongodb';
import type { AnchorReceipt, SealedBatch, SignedAnchor } from '../workflows/anchor-types';

/** MongoDB's (and FerretDB's) duplicate key error. */
const DUPLICATE_KEY = 11000;

interface BatchDoc {
  _id: string;
  root: string;
  count: number;
  /** In leaf order, with the roots they were anchored with. */
  sessions: Array<{ sessionId: string; root: string }>;
  sealedAt: Date;
  signed?: SignedAnchor;
  receipt?: AnchorReceipt;
  anchoredAt?: Date;
  /** Why the chain refused the batch, until it is anchored. */
  failure?: { reason: string; at: Date };
}

/** One session's place in an anchored batch: everything its proof needs besides the chunk list. */
export interface SessionAnchor {
  sessionId: string;
  sessionRoot: string;
  batchId: string;
  batchRoot: string;
  count: number;
  leafIndex: number;
  path: string[];
  receipt: AnchorReceipt;
  anchoredAt: Date;
  /** From the session's manifest being stored to its batch being anchored. */
  latencySeconds: number;
}

export interface AnchorEvent {
  batchId: string;
  root: string;
  count: number;
  blockNumber: number;
  blockHash: string;
  txHash: string;
  logIndex: number;
}

interface CursorDoc {
  _id: 'cursor';
  next: number;
  /** Hashes of the last indexed blocks, to notice a chain that changed under the index. */
  recent: Array<{ number: number; hash: string }>;
}

/** Anchoring's MongoDB side: sealed batches and their signed transactions, per-session proofs, and the event index. */
export class AnchorStore {
  private readonly batches: Collection<BatchDoc>;
  private readonly anchors: Collection<SessionAnchor & { _id: string }>;
  private readonly events: Collection<AnchorEvent & { _id: string }>;
  private readonly index: Collection<CursorDoc>;

  constructor(db: Db) {
    this.batches = db.collection<BatchDoc>('anchor_batches');
    this.anchors = db.collection<SessionAnchor & { _id: string }>('anchors');
    this.events = db.collection<AnchorEvent & { _id: string }>('anchor_events');
    this.index = db.collection<CursorDoc>('anchor_index');
  }

  /** The batch each of these sessions was sealed into, if any. */
  async batchesOf(sessionIds: string[]): Promise<Map<string, string>> {
    const docs = await this.batches.find({ 'sessions.sessionId': { $in: sessionIds } }, { projection: { sessions: 1 } }).toArray();
    const of = new Map<string, string>();
    for (const d of docs) for (const s of d.sessions) if (sessionIds.includes(s.sessionId)) of.set(s.sessionId, d._id);
    return of;
  }

  async seal(batch: SealedBatch, sessions: Array<{ sessionId: string; root: string }>): Promise<void> {
    await this.batches.updateOne(
      { _id: batch.batchId },
      { $setOnInsert: { root: batch.root, count: batch.count, sessions, sealedAt: new Date() } },
      { upsert: true },
    );
  }

  async batch(batchId: string): Promise<BatchDoc | undefined> {
    return (await this.batches.findOne({ _id: batchId })) ?? undefined;
  }

  async recordSigned(signed: SignedAnchor): Promise<void> {
    await this.batches.updateOne({ _id: signed.batchId }, { $set: { signed } });
  }

  async recordAnchored(batchId: string, receipt: AnchorReceipt, anchors: SessionAnchor[]): Promise<void> {
    for (const a of anchors) await this.anchors.replaceOne({ _id: a.sessionId }, a, { upsert: true });
    await this.batches.updateOne({ _id: batchId }, { $set: { receipt, anchoredAt: new Date() }, $unset: { failure: '' } });
  }

  async recordFailure(batchId: string, reason: string): Promise<void> {
    await this.batches.updateOne({ _id: batchId }, { $set: { failure: { reason, at: new Date() } } });
  }

  async failedBatches(): Promise<Array<{ batchId: string; reason: string; at: Date }>> {
    const docs = await this.batches.find({ failure: { $exists: true } }).sort({ 'failure.at': -1 }).toArray();
    return docs.map((d) => ({ batchId: d._id, reason: d.failure!.reason, at: d.failure!.at }));
  }

  /** A batch whose anchor vanished from the chain: its proofs no longer hold until it is anchored again. */
  async forgetAnchor(batchId: string): Promise<void> {
    await this.batches.updateOne({ _id: batchId }, { $unset: { receipt: '', anchoredAt: '' } });
  }

  /** Batches recorded as anchored in a block from `block` on: the ones a reorg or a restarted chain can still take back. */
  async anchoredSince(block: number): Promise<Array<{ batchId: string; receipt: AnchorReceipt }>> {
    const docs = await this.batches.find({ 'receipt.blockNumber': { $gte: block } }, { projection: { receipt: 1 } }).toArray();
    return docs.map((d) => ({ batchId: d._id, receipt: d.receipt! }));
  }

  async anchorOf(sessionId: string): Promise<SessionAnchor | undefined> {
    const doc = await this.anchors.findOne({ _id: sessionId });
    if (!doc) return undefined;
    const { _id, ...a } = doc;
    return a;
  }

  async lastAnchoredBatch(): Promise<BatchDoc | undefined> {
    return (await this.batches.find({ anchoredAt: { $exists: true } }).sort({ anchoredAt: -1 }).limit(1).toArray())[0];
  }

  async latencies(limit = 1000): Promise<number[]> {
    const docs = await this.anchors.find({}, { projection: { latencySeconds: 1 } }).sort({ anchoredAt: -1 }).limit(limit).toArray();
    return docs.map((d) => d.latencySeconds);
  }

  async cursor(): Promise<CursorDoc> {
    return (await this.index.findOne({ _id: 'cursor' })) ?? { _id: 'cursor', next: 0, recent: [] };
  }

  async saveCursor(next: number, recent: CursorDoc['recent']): Promise<void> {
    await this.index.replaceOne({ _id: 'cursor' }, { next, recent }, { upsert: true });
  }

  /** Moves the index back to a block: events from there on are dropped and read again from the chain. */
  async reindexFrom(block: number): Promise<void> {
    const { recent } = await this.cursor();
    await this.events.deleteMany({ blockNumber: { $gte: block } });
    await this.saveCursor(block, recent.filter((b) => b.number < block));
  }

  /**
   * Keyed by transaction and log index, so a page read twice stores each event once: a key already there is the
   * same event (a rewind drops every event from where the chain changed before the index reads it again). Inserted,
   * not upserted: on FerretDB an upsert costs about 4 ms a document, an insert 0.07.
   */
  async addEvents(events: AnchorEvent[]): Promise<void> {
    if (events.length === 0) return;
    try {
      await this.events.insertMany(events.map((e) => ({ _id: `${e.txHash}/${e.logIndex}`, ...e })), { ordered: false });
    } catch (err) {
      const dup = (w: { code?: number }) => w.code === DUPLICATE_KEY;
      if (!(err instanceof MongoBulkWriteError) || ![err.writeErrors].flat().every(dup)) throw err;
    }
  }

  /** Drops events from a block on (a rewind or a reindex); returns the batches they anchored. */
  async dropEventsFrom(block: number): Promise<string[]> {
    const gone = await this.events.find({ blockNumber: { $gte: block } }, { projection: { batchId: 1 } }).toArray();
    await this.events.deleteMany({ blockNumber: { $gte: block } });
    return [...new Set(gone.map((e) => e.batchId))];
  }

  async eventsOf(batchId: string): Promise<AnchorEvent[]> {
    return this.events.find({ batchId }, { projection: { _id: 0 } }).toArray();
  }

  async eventCount(): Promise<number> {
    return this.events.countDocuments({});
  }
}
