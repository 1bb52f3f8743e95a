import type { Collection, Db } from 'mongodb';
import type { CommitGate } from '../supply-chain/commit-gates';
import type { ProposalChange } from '../common/proposal-change';

export interface GateVerdict {
  gate: CommitGate;
  /** `not run`: an earlier gate refused, and the check stops at the first refusal as `lucid policy check` does. */
  verdict: 'passed' | 'refused' | 'not run';
  detail: string;
}

export interface Proposal {
  id: number;
  title: string;
  change: ProposalChange;
  proposer: string;
  createdAt: string;
  /** `proposals/<id>` of the config repo. */
  branch: string;
  /** The head of main the change was made on: the merge is a fast-forward from it or nothing. */
  base: string;
  commit: string;
  diff: string;
  gates: GateVerdict[];
  approvals: Array<{ by: string; at: string }>;
  merged?: { by: string; at: string; rollout: string };
  withdrawn?: { by: string; at: string };
}

interface ProposalDoc extends Proposal {
  _id: number;
}

/** Proposals (the console's reviewed commits) and the counter that numbers them. */
export class ProposalStore {
  private readonly proposals: Collection<ProposalDoc>;
  private readonly counters: Collection<{ _id: string; next: number }>;

  constructor(db: Db) {
    this.proposals = db.collection<ProposalDoc>('proposals');
    this.counters = db.collection<{ _id: string; next: number }>('counters');
  }

  /** The next proposal number: 1, 2, … once each, whoever asks. */
  async nextId(): Promise<number> {
    const doc = await this.counters.findOneAndUpdate({ _id: 'proposals' }, { $inc: { next: 1 } }, { upsert: true, returnDocument: 'after' });
    return doc!.next;
  }

  async insert(p: Proposal): Promise<void> {
    await this.proposals.insertOne({ _id: p.id, ...p });
  }

  async get(id: number): Promise<Proposal | undefined> {
    const doc = await this.proposals.findOne({ _id: id }, { projection: { _id: 0 } });
    return doc ?? undefined;
  }

  async recent(limit: number): Promise<Proposal[]> {
    return this.proposals.find({}, { projection: { _id: 0, diff: 0 } }).sort({ _id: -1 }).limit(limit).toArray() as Promise<Proposal[]>;
  }

  /** Adds an approval unless the operator already gave one or the proposal merged meanwhile; false then. */
  async approve(id: number, by: string, at: string): Promise<boolean> {
    const r = await this.proposals.updateOne({ _id: id, merged: { $exists: false }, 'approvals.by': { $ne: by } }, { $push: { approvals: { by, at } } });
    return r.modifiedCount === 1;
  }

  async markMerged(id: number, merged: NonNullable<Proposal['merged']>): Promise<void> {
    await this.proposals.updateOne({ _id: id, merged: { $exists: false } }, { $set: { merged } });
  }

  async markWithdrawn(id: number, withdrawn: NonNullable<Proposal['withdrawn']>): Promise<void> {
    await this.proposals.updateOne({ _id: id, merged: { $exists: false } }, { $set: { withdrawn } });
  }
}
