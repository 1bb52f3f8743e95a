import type { Collection, Db } from 'mongodb';
import type { RolloutStatus } from '../../workflows/rollout-types';

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

  /** Keyed by workflow and sequence number, so an activity retry never logs an event twice. */
  async addEvent(workflowId: string, commit: string, seq: number, message: string): Promise<void> {
    await this.events.replaceOne(
      { _id: `${workflowId}/${seq}` },
      { commit, seq, at: new Date(), message },
      { upsert: true },
    );
  }

  async eventsOf(commit: string): Promise<Array<{ at: Date; message: string }>> {
    return this.events.find({ commit }).sort({ at: 1, seq: 1 }).toArray();
  }

  async markBad(commit: string, reason: string): Promise<void> {
    await this.commits.replaceOne({ _id: commit }, { status: 'bad', reason, at: new Date() }, { upsert: true });
  }

  async isBad(commit: string): Promise<boolean> {
    return (await this.commits.countDocuments({ _id: commit })) > 0;
  }
}
