import type { Collection, Db } from 'mongodb';
import { replicaIdentity, replicaName, type CopyCheckDue, type SessionReplica } from '../workflows/replication-types';
import type { SessionManifest } from '../workflows/session-types';

interface SessionDoc extends Omit<SessionManifest, 'startedAt' | 'endedAt'> {
  _id: string;
  startedAt: Date;
  endedAt: Date;
  /** When the repair sweep last checked the session's copies. */
  copiesCheckedAt?: Date;
}

export interface Incident {
  sessionId: string;
  nodeId: string;
  chunkIndex: number;
  leaf: string;
  kind: string;
  reason: string;
  /** The repair run that found it, so a retried record of that run adds it once. */
  check?: string;
  at: Date;
}

/** A session as `lucid session list` and the console's sessions page show it. */
export type SessionListing = Pick<SessionManifest, 'sessionId' | 'nodeId' | 'bytes' | 'root' | 'startedAt' | 'cancelled' | 'anchored' | 'failure'> & {
  chunks: number;
  replicas: SessionReplica[];
  copiesCheckedAt?: string;
};

/** What a month's payout reads of a session. */
export type PaidWork = Pick<SessionDoc, 'nodeId' | 'startedAt' | 'endedAt' | 'bytes' | 'anchored' | 'failure'>;

/** Session manifests and the incidents raised while reading their chunks. */
export class SessionStore {
  private readonly sessions: Collection<SessionDoc>;
  private readonly incidents: Collection<Incident>;

  constructor(db: Db) {
    this.sessions = db.collection<SessionDoc>('sessions');
    this.incidents = db.collection<Incident>('incidents');
  }

  async save(m: SessionManifest): Promise<void> {
    const doc: SessionDoc = { ...m, _id: m.sessionId, startedAt: new Date(m.startedAt), endedAt: new Date(m.endedAt) };
    await this.sessions.replaceOne({ _id: m.sessionId }, doc, { upsert: true });
  }

  async get(sessionId: string): Promise<SessionManifest | undefined> {
    const doc = await this.sessions.findOne({ _id: sessionId });
    if (!doc) return undefined;
    const { _id, ...rest } = doc;
    return { ...rest, startedAt: doc.startedAt.toISOString(), endedAt: doc.endedAt.toISOString() };
  }

  async list(): Promise<SessionListing[]> {
    const docs = await this.sessions.find({}).sort({ startedAt: -1 }).toArray();
    return docs.map((d) => ({
      sessionId: d.sessionId,
      nodeId: d.nodeId,
      chunks: d.chunks.length,
      bytes: d.bytes,
      root: d.root,
      startedAt: d.startedAt.toISOString(),
      cancelled: d.cancelled,
      anchored: d.anchored,
      replicas: d.replicas ?? [],
      ...(d.failure && { failure: d.failure }),
      ...(d.copiesCheckedAt && { copiesCheckedAt: d.copiesCheckedAt.toISOString() }),
    }));
  }

  /** The sessions that ended in [start, end): what a month's payout reads. */
  async endedBetween(start: Date, end: Date): Promise<PaidWork[]> {
    return this.sessions
      .find(
        { endedAt: { $gte: start, $lt: end } },
        { projection: { _id: 0, nodeId: 1, startedAt: 1, endedAt: 1, bytes: 1, anchored: 1, failure: 1 } },
      )
      .toArray();
  }

  /** Lists (or updates) the session's copy in one object store or on one peer. */
  async recordReplica(sessionId: string, replica: SessionReplica): Promise<void> {
    const found = await this.sessions.updateOne({ _id: sessionId }, { $pull: { replicas: replicaIdentity(replica) } });
    if (found.matchedCount === 0) throw new Error(`session ${sessionId}: no manifest to list its copy in ${replicaName(replica)} in`);
    await this.sessions.updateOne({ _id: sessionId }, { $push: { replicas: replica } });
  }

  /**
   * Sessions with a listed copy, never checked first, then those checked longest ago, whole sessions until
   * `maxChunks` (at least one session, whatever its size).
   */
  async dueForCopyCheck(maxChunks: number): Promise<CopyCheckDue[]> {
    const due: CopyCheckDue[] = [];
    let chunks = 0;
    const projection = { _id: 0, sessionId: 1, nodeId: 1, chunks: 1, replicas: 1 } as const;
    const listed = { 'replicas.0': { $exists: true } };
    for (const cursor of [
      this.sessions.find({ ...listed, copiesCheckedAt: { $exists: false } }, { projection }).sort({ startedAt: 1 }),
      this.sessions.find({ ...listed, copiesCheckedAt: { $exists: true } }, { projection }).sort({ copiesCheckedAt: 1 }),
    ]) {
      for await (const d of cursor) {
        if (due.length > 0 && chunks + d.chunks.length > maxChunks) return due;
        const peers = (d.replicas ?? []).flatMap((r) => (r.kind === 'peer' ? [{ nodeId: r.nodeId, host: r.host }] : []));
        due.push({ sessionId: d.sessionId, nodeId: d.nodeId, leaves: d.chunks.map((c) => c.leaf), ...(peers.length > 0 && { peers }) });
        chunks += d.chunks.length;
      }
    }
    return due;
  }

  async markCopiesChecked(sessionId: string): Promise<void> {
    await this.sessions.updateOne({ _id: sessionId }, { $set: { copiesCheckedAt: new Date() } });
  }

  async markAnchored(sessionId: string, anchored: NonNullable<SessionManifest['anchored']>): Promise<void> {
    await this.sessions.updateOne({ _id: sessionId }, { $set: { anchored } });
  }

  async unmarkAnchored(sessionIds: string[]): Promise<void> {
    await this.sessions.updateMany({ _id: { $in: sessionIds } }, { $unset: { anchored: '' } });
  }

  /** Sessions with a stored manifest and chunks whose root is not anchored yet. */
  async unanchoredCount(): Promise<number> {
    return this.sessions.countDocuments({ anchored: { $exists: false }, 'chunks.0': { $exists: true } });
  }

  async recordIncident(incident: Omit<Incident, 'at'>): Promise<void> {
    await this.incidents.insertOne({ ...incident, at: new Date() });
  }

  /** An incident a repair run found: recorded once however often that run's record is retried. */
  async recordCheckIncident(incident: Omit<Incident, 'at'> & { check: string }): Promise<void> {
    const { sessionId, leaf, kind, check } = incident;
    await this.incidents.updateOne({ sessionId, leaf, kind, check }, { $setOnInsert: { ...incident, at: new Date() } }, { upsert: true });
  }

  /** Incidents recorded per session (sessions without any are absent). */
  async incidentCounts(): Promise<Map<string, number>> {
    const rows = await this.incidents.aggregate<{ _id: string; n: number }>([{ $group: { _id: '$sessionId', n: { $sum: 1 } } }]).toArray();
    return new Map(rows.map((r) => [r._id, r.n]));
  }

  async incidentsOf(sessionId: string): Promise<Incident[]> {
    return this.incidents.find({ sessionId }, { projection: { _id: 0 } }).sort({ at: 1 }).toArray();
  }
}
