import type { Collection, Db } from 'mongodb';

/** How far one session's replication is, as its workflow last recorded it. */
export interface ReplicationState {
  sessionId: string;
  nodeId: string;
  journaled: number;
  replicated: number;
  /** Every chunk of the finished recording has a checked copy. */
  done: boolean;
  /** Why the last attempt stopped short (the store down, say); absent once it went through. */
  failure?: string;
  at: Date;
}

/** Per node: chunks journaled without a checked copy yet, and sessions whose last attempt failed. */
export interface NodeReplicationLag {
  nodeId: string;
  chunks: number;
  failing: number;
}

/** Replication progress per session, for /metrics: what a node's copies lag behind its recordings. */
export class ReplicationStore {
  private readonly states: Collection<ReplicationState & { _id: string }>;

  constructor(db: Db) {
    this.states = db.collection('replication');
  }

  async record(state: Omit<ReplicationState, 'at'>): Promise<void> {
    const { failure, ...rest } = state;
    await this.states.updateOne(
      { _id: state.sessionId },
      { $set: { ...rest, at: new Date(), ...(failure && { failure }) }, ...(!failure && { $unset: { failure: '' } }) },
      { upsert: true },
    );
  }

  async get(sessionId: string): Promise<ReplicationState | undefined> {
    return (await this.states.findOne({ _id: sessionId }, { projection: { _id: 0 } })) ?? undefined;
  }

  async ofSessions(sessionIds: string[]): Promise<Map<string, ReplicationState>> {
    const rows = await this.states.find({ _id: { $in: sessionIds } }).toArray();
    return new Map(rows.map(({ _id, ...state }) => [_id, state]));
  }

  /** Nodes with unfinished replications; a node whose copies are all done has no row (its lag is 0). */
  async lagByNode(): Promise<NodeReplicationLag[]> {
    const rows = await this.states.find({ done: false }).toArray();
    const byNode = new Map<string, NodeReplicationLag>();
    for (const r of rows) {
      const n = byNode.get(r.nodeId) ?? { nodeId: r.nodeId, chunks: 0, failing: 0 };
      n.chunks += Math.max(0, r.journaled - r.replicated);
      if (r.failure) n.failing += 1;
      byNode.set(r.nodeId, n);
    }
    return [...byNode.values()];
  }
}
