import type { Collection, Db } from 'mongodb';
import type { BatchReceipt, BatchSimulation, PayoutApproval, PayoutPlan, PayoutState, SignedPayoutTx } from '../workflows/payout-types';

interface MonthDoc {
  _id: string;
  /** The sealed statement: every later run of the month pays exactly this, under the same batch ids. */
  plan: PayoutPlan;
  sealedAt: Date;
  state: PayoutState;
  approvals: PayoutApproval[];
  paidAt?: Date;
}

interface DryRunDoc {
  _id: string;
  month: string;
  plan: PayoutPlan;
  simulations: BatchSimulation[];
  passed: boolean;
  at: Date;
}

export interface ReceiptDoc {
  _id: string;
  month: string;
  batchId: string;
  router: string;
  txHash?: string;
  blockNumber?: number;
  blockHash?: string;
  node: string;
  recipient: string;
  amount: string;
  reasons: string;
  reasonNames: string[];
  recordedAt: Date;
}

interface CarryDoc {
  _id: string;
  amount: string;
  /** The paid month that carried it over. */
  fromMonth: string;
}

/** The payout plane's MongoDB side: sealed statements, dry runs, signed transactions (stored before broadcast), receipts, carry-overs. */
export class PayoutStore {
  private readonly months: Collection<MonthDoc>;
  private readonly dryRuns: Collection<DryRunDoc>;
  private readonly signed: Collection<SignedPayoutTx & { _id: string; month: string }>;
  private readonly receipts: Collection<ReceiptDoc>;
  private readonly carry: Collection<CarryDoc>;

  constructor(db: Db) {
    this.months = db.collection<MonthDoc>('payout_statements');
    this.dryRuns = db.collection<DryRunDoc>('payout_dry_runs');
    this.signed = db.collection<SignedPayoutTx & { _id: string; month: string }>('payout_signed_txs');
    this.receipts = db.collection<ReceiptDoc>('payout_receipts');
    this.carry = db.collection<CarryDoc>('payout_carryovers');
  }

  /** Seals the month's statement once; a later run (a retry, the Schedule after a manual run) gets the sealed one back. */
  async seal(plan: PayoutPlan): Promise<PayoutPlan> {
    await this.months.updateOne(
      { _id: plan.month },
      { $setOnInsert: { plan, sealedAt: new Date(), state: 'previewing', approvals: [] } },
      { upsert: true },
    );
    return (await this.months.findOne({ _id: plan.month }))!.plan;
  }

  async sealed(month: string): Promise<MonthDoc | undefined> {
    return (await this.months.findOne({ _id: month })) ?? undefined;
  }

  async setState(month: string, state: PayoutState, approvals?: PayoutApproval[]): Promise<void> {
    await this.months.updateOne({ _id: month }, { $set: { state, ...(approvals ? { approvals } : {}) } });
  }

  /** Paid months before `month`, newest first: the breakers' history. */
  async paidBefore(month: string, limit: number): Promise<MonthDoc[]> {
    return this.months.find({ _id: { $lt: month }, state: 'paid' }).sort({ _id: -1 }).limit(limit).toArray();
  }

  async recordDryRun(run: Omit<DryRunDoc, '_id' | 'at'>): Promise<void> {
    await this.dryRuns.replaceOne({ _id: run.month }, { ...run, at: new Date() }, { upsert: true });
  }

  async dryRun(month: string): Promise<DryRunDoc | undefined> {
    return (await this.dryRuns.findOne({ _id: month })) ?? undefined;
  }

  async recordSigned(month: string, tx: SignedPayoutTx): Promise<void> {
    await this.signed.replaceOne({ _id: tx.batchId }, { ...tx, month }, { upsert: true });
  }

  async signedOf(batchId: string): Promise<SignedPayoutTx | undefined> {
    const doc = await this.signed.findOne({ _id: batchId }, { projection: { _id: 0, month: 0 } });
    return doc ?? undefined;
  }

  /** One document per paid line, keyed by batch and line, so a receipt written twice is stored once. */
  async recordReceipt(month: string, receipt: BatchReceipt, lines: Array<{ node: string; reasonNames: string[] }>): Promise<void> {
    for (const [i, l] of receipt.lines.entries()) {
      const doc: ReceiptDoc = {
        _id: `${receipt.batchId}/${i}`,
        month,
        batchId: receipt.batchId,
        router: receipt.router,
        txHash: receipt.txHash,
        blockNumber: receipt.blockNumber,
        blockHash: receipt.blockHash,
        node: lines[i]?.node ?? '',
        recipient: l.recipient,
        amount: l.amount,
        reasons: l.reasons,
        reasonNames: lines[i]?.reasonNames ?? [],
        recordedAt: new Date(),
      };
      await this.receipts.replaceOne({ _id: doc._id }, doc, { upsert: true });
    }
  }

  async receiptsOf(month: string): Promise<ReceiptDoc[]> {
    return this.receipts.find({ month }).sort({ _id: 1 }).toArray();
  }

  /** What each node carries into `month`: the carry-overs of the latest paid month before it. */
  async carryInto(month: string): Promise<Map<string, bigint>> {
    const docs = await this.carry.find({ fromMonth: { $lt: month } }).toArray();
    return new Map(docs.map((d) => [d._id, BigInt(d.amount)]));
  }

  /** A paid month replaces every carry-over: what it paid is settled, what it carried is the new balance. */
  async markPaid(month: string, carryOut: Array<{ node: string; amount: string }>): Promise<void> {
    const doc = await this.months.findOne({ _id: month });
    if (doc?.state === 'paid') return;
    await this.carry.deleteMany({ fromMonth: { $lte: month } });
    for (const c of carryOut) if (c.amount !== '0') await this.carry.replaceOne({ _id: c.node }, { amount: c.amount, fromMonth: month }, { upsert: true });
    await this.months.updateOne({ _id: month }, { $set: { state: 'paid', paidAt: new Date() } });
  }
}
