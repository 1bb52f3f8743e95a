import type { Collection, Db } from 'mongodb';
import type { RolloutStatus } from '../workflows/rollout-types';

interface RolloutDoc extends RolloutStatus {
  _id: string;
  updatedAt: Date;
}

interface RolloutEventDoc {
  _id: string;
  commit: string;
  seq: number;
  at: Date;
  message: string;
}

interface CommitDoc {
  _id: string;
  status: 'bad';
  reason: string;
  at: Date;
}

/** Rollouts, their event log and the commits a halted rollout marked bad. */
export class RolloutStore {
  private readonly rollouts: Collection<RolloutDoc>;
  private readonly events: Collection<RolloutEventDoc>;
  private readonly commits: Collection<CommitDoc>;

  constructor(db: Db) {
    this.rollouts = db.collection<RolloutDoc>('rollouts');
    this.events = db.collection<RolloutEventDoc>('rollout_events');
    this.commits = db.collection<CommitDoc>('commits');
  }

  async save(status: RolloutStatus): Promise<void> {
    await this.rollouts.replaceOne({ _id: status.commit }, { ...status, updatedAt: new Date() }, { upsert: true });
  }

  async get(commit: string): Promise<RolloutStatus | undefined> {
    const doc = await this.rollouts.findOne({ _id: commit });
    if (!doc) return undefined;
    const { _id, updatedAt, ...status } = doc;
    return status;
  }

  /** The newest rollouts by start, running or ended: what the console lists. */
  async recent(limit: number): Promise<RolloutStatus[]> {
    const docs = await this.rollouts.find({}, { projection: { _id: 0, updatedAt: 0 } }).sort({ startedAt: -1 }).limit(limit).toArray();
    return docs as RolloutStatus[];
  }

  /** Every recorded rollout's state and times: what /metrics counts. */
  async stateTimes(): Promise<Array<Pick<RolloutStatus, 'state' | 'startedAt' | 'endedAt'>>> {
    return this.rollouts.find({}, { projection: { _id: 0, state: 1, startedAt: 1, endedAt: 1 } }).toArray();
  }

  /** The newest rollout (by start) whose commit passed the gates: what the fleet runs or is moving to, and its opt-outs. */
  async newestGated(): Promise<Pick<RolloutStatus, 'commit' | 'insecure'> | undefined> {
    const doc = await this.rollouts
      .find({ insecure: { $exists: true } }, { projection: { _id: 0, commit: 1, insecure: 1 } })
      .sort({ startedAt: -1 })
      .limit(1)
      .next();
    return doc ?? undefined;
  }

  /** Commits of recorded rollouts that start with a short sha: how a rollout of a commit the repo never served is found. */
  async commitsStartingWith(prefix: string): Promise<string[]> {
    if (!/^[0-9a-f]{4,40}$/.test(prefix)) return [];
    const docs = await this.rollouts.find({ _id: { $regex: `^${prefix}` } }, { projection: { _id: 1 } }).limit(2).toArray();
    return docs.map((d) => d._id);
  }

  /** Keyed by run and sequence number, so an activity retry never logs an event twice and a retried rollout keeps both runs' events. */
  async addEvent(workflowId: string, runId: string | undefined, commit: string, seq: number, message: string): Promise<void> {
    await this.events.replaceOne(
      { _id: runId ? `${workflowId}/${runId}/${seq}` : `${workflowId}/${seq}` },
      { commit, seq, at: new Date(), message },
      { upsert: true },
    );
  }

  /** A batch's lines in one write, each keyed by the batch's run and its place in the batch. */
  async addEvents(workflowId: string, runId: string, commit: string, lines: Array<{ at: string; message: string }>): Promise<void> {
    await this.events.bulkWrite(
      lines.map((l, seq) => ({
        replaceOne: { filter: { _id: `${workflowId}/${runId}/${seq}` }, replacement: { commit, seq, at: new Date(l.at), message: l.message }, upsert: true },
      })),
    );
  }

  /** The lines written by a rollout's wave and batch workflows (their ids start with the rollout's): what its own history lacks. */
  async eventsUnder(workflowIdPrefix: string): Promise<Array<{ at: Date; message: string }>> {
    const prefix = workflowIdPrefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return this.events.find({ _id: { $regex: `^${prefix}` } }).sort({ at: 1, seq: 1 }).toArray();
  }

  async eventsOf(commit: string): Promise<Array<{ at: Date; message: string }>> {
    return this.events.find({ commit }).sort({ at: 1, seq: 1 }).toArray();
  }

  async markBad(commit: string, reason: string): Promise<void> {
    await this.commits.replaceOne({ _id: commit }, { status: 'bad', reason, at: new Date() }, { upsert: true });
  }

  async clearBad(commit: string): Promise<void> {
    await this.commits.deleteOne({ _id: commit });
  }

  async isBad(commit: string): Promise<boolean> {
    return (await this.commits.countDocuments({ _id: commit })) > 0;
  }
}
