import type { Collection, Db } from 'mongodb';
import type { ClusterRecord, DriftResult, ReconcileResult } from '../workflows/reconcile-types';

interface ClusterDoc {
  _id: string;
  desiredCommit?: string;
  appliedCommit?: string;
  lastGoodCommit?: string;
  badCommits?: string[];
  updatedAt: Date;
}

export interface ReconcileDoc extends ReconcileResult {
  _id: string;
  workflowId: string;
  runId: string;
  startedAt: Date;
  endedAt: Date;
}

/**
 * Cluster state that outlives a workflow: what each cluster should run, runs,
 * and last ran healthy, plus one document per reconcile outcome.
 */
export class ClusterStore {
  private readonly clusters: Collection<ClusterDoc>;
  private readonly reconciles: Collection<ReconcileDoc>;
  private readonly drift: Collection<DriftResult & { at: Date }>;

  constructor(db: Db) {
    this.clusters = db.collection<ClusterDoc>('clusters');
    this.reconciles = db.collection<ReconcileDoc>('reconciles');
    this.drift = db.collection<DriftResult & { at: Date }>('drift_corrections');
  }

  async get(id: string): Promise<ClusterRecord> {
    return toRecord(id, await this.clusters.findOne({ _id: id }));
  }

  /** Many clusters in one query: a rollout's plan and batches read thousands. */
  async getMany(ids: string[]): Promise<Map<string, ClusterRecord>> {
    const docs = new Map((await this.clusters.find({ _id: { $in: ids } }).toArray()).map((d) => [d._id, d]));
    return new Map(ids.map((id) => [id, toRecord(id, docs.get(id) ?? null)]));
  }

  async list(): Promise<ClusterRecord[]> {
    const docs = await this.clusters.find({}).sort({ _id: 1 }).toArray();
    return Promise.all(docs.map((d) => this.get(d._id)));
  }

  async setDesired(id: string, commit: string): Promise<void> {
    await this.clusters.updateOne({ _id: id }, { $set: { desiredCommit: commit, updatedAt: new Date() } }, { upsert: true });
  }

  /** setDesired for many clusters in one round trip. */
  async setDesiredMany(ids: string[], commit: string): Promise<void> {
    if (ids.length === 0) return;
    const updatedAt = new Date();
    await this.clusters.bulkWrite(
      ids.map((id) => ({ updateOne: { filter: { _id: id }, update: { $set: { desiredCommit: commit, updatedAt } }, upsert: true } })),
      { ordered: false },
    );
  }

  /** Takes back a desired commit that never reached the cluster, unless something set another since. */
  async restoreDesired(id: string, commit: string, previous: string | undefined): Promise<void> {
    const filter = { _id: id, desiredCommit: commit };
    if (previous) await this.clusters.updateOne(filter, { $set: { desiredCommit: previous, updatedAt: new Date() } });
    else await this.clusters.updateOne(filter, { $unset: { desiredCommit: 1 } });
  }

  /** Idempotent per workflow run, so an activity retry never records an outcome twice. */
  async recordOutcome(doc: ReconcileDoc): Promise<void> {
    await this.reconciles.replaceOne({ _id: doc._id }, doc, { upsert: true });
    const set: Partial<ClusterDoc> = { updatedAt: new Date() };
    if (doc.appliedCommit) set.appliedCommit = doc.appliedCommit;
    if (doc.outcome === 'healthy') set.lastGoodCommit = doc.commit;
    await this.clusters.updateOne({ _id: doc.clusterId }, { $set: set }, { upsert: true });
    // Bad for this cluster only if it got as far as taking the commit (a failed fetch says nothing about it).
    if (doc.outcome !== 'healthy') {
      await this.clusters.updateOne({ _id: doc.clusterId, desiredCommit: doc.commit }, { $addToSet: { badCommits: doc.commit } });
    }
  }

  /** After a halt: a cluster whose last good commit is the bad one gets its previous last good back. */
  async restoreLastGood(commit: string, previous: Record<string, string | undefined>): Promise<void> {
    for (const [id, prev] of Object.entries(previous)) {
      const filter = { _id: id, lastGoodCommit: commit };
      if (prev) await this.clusters.updateOne(filter, { $set: { lastGoodCommit: prev, updatedAt: new Date() } });
      else await this.clusters.updateOne(filter, { $unset: { lastGoodCommit: 1 } });
    }
  }

  /** Only checks that found drift are kept: a quiet fleet writes nothing. */
  async recordDrift(result: DriftResult): Promise<void> {
    if (result.problems.length === 0) return;
    await this.drift.insertOne({ ...result, at: new Date() });
  }

  async driftCorrections(clusterId: string): Promise<Array<DriftResult & { at: Date }>> {
    return this.drift.find({ clusterId }, { projection: { _id: 0 } }).sort({ at: 1 }).toArray();
  }

  async outcomes(clusterId: string, limit = 20): Promise<ReconcileDoc[]> {
    return this.reconciles.find({ clusterId }).sort({ endedAt: -1 }).limit(limit).toArray();
  }

  /** Every ended reconcile's cluster, outcome and times: what /metrics counts. */
  async outcomeTimes(): Promise<Array<Pick<ReconcileDoc, 'clusterId' | 'outcome' | 'startedAt' | 'endedAt'>>> {
    return this.reconciles.find({}, { projection: { _id: 0, clusterId: 1, outcome: 1, startedAt: 1, endedAt: 1 } }).toArray();
  }

  /** When each recorded drift correction happened, fleet-wide. */
  async driftTimes(): Promise<Date[]> {
    return (await this.drift.find({}, { projection: { _id: 0, at: 1 } }).toArray()).map((d) => d.at);
  }

  /** The cluster of every recorded drift correction, fleet-wide. */
  async correctedClusters(): Promise<string[]> {
    return (await this.drift.find({}, { projection: { _id: 0, clusterId: 1 } }).toArray()).map((d) => d.clusterId);
  }
}

function toRecord(id: string, doc: ClusterDoc | null): ClusterRecord {
  return {
    id,
    desiredCommit: doc?.desiredCommit,
    appliedCommit: doc?.appliedCommit,
    lastGoodCommit: doc?.lastGoodCommit,
    badCommits: doc?.badCommits ?? [],
  };
}
