/**
 * What crosses Temporal for a payout. Amounts are decimal strings of token base units, never bigint (the default
 * converter cannot carry one) and never a float. No key, ever: the wallet activity signs inside its own process.
 */
export type PayoutRouter = 'PR0' | 'PRKYC';

export interface PayoutLineInput {
  node: string;
  /** The 20-byte EVM form of the node's address. */
  recipient: string;
  amount: string;
  /** bytes32, one byte per reason code. */
  reasons: string;
}

export interface PlannedBatch {
  batchId: string;
  router: PayoutRouter;
  lines: PayoutLineInput[];
  total: string;
}

/** One node's line of the statement, as `lucid payout status` shows it. */
export interface NodeStatement {
  node: string;
  /** TRON base58check. */
  address: string;
  amount: string;
  earned: string;
  carryIn: string;
  carryOut: string;
  reasons: string[];
  sessions: number;
  /** Sessions of the month that earn nothing (not anchored, or failed). */
  unpaid: number;
}

export interface PayoutPlan {
  month: string;
  /** `evm:<chainId>` or `tron:<mode>`. */
  chain: string;
  token: { symbol: string; decimals: number };
  total: string;
  nodes: NodeStatement[];
  batches: PlannedBatch[];
  /** Circuit breakers that tripped: the payout waits for approval. */
  holdReasons: string[];
  approvalsNeeded: 0 | 1 | 2;
  approvers: string[];
  confirmations: number;
}

export type BatchSimulation = { batchId: string; ok: true; gas: string } | { batchId: string; ok: false; reason: string; message: string };

export interface SignedPayoutTx {
  batchId: string;
  raw: string;
  hash: string;
  nonce: number;
  from: string;
}

export interface PaidLineRecord {
  recipient: string;
  amount: string;
  reasons: string;
  logIndex: number;
}

export interface BatchReceipt {
  batchId: string;
  router: PayoutRouter;
  /** Unset when the batch was found paid by a transaction this payout never signed. */
  txHash?: string;
  blockNumber?: number;
  blockHash?: string;
  gasUsed?: string;
  lines: PaidLineRecord[];
}

export type PayoutReceiptWait =
  | { state: 'confirmed'; receipt: BatchReceipt }
  /** Not mined, or vanished with its block: broadcast the same bytes again. */
  | { state: 'missing' };

export type PayoutState = 'previewing' | 'held' | 'awaiting-approval' | 'submitting' | 'paid' | 'failed';

export interface PayoutApproval {
  by: string;
  at: string;
}

/** `lucid payout status --json`. */
export interface PayoutStatus {
  month: string;
  state: PayoutState;
  total: string;
  nodes: Array<{ node: string; address: string; amount: string; reasons: string[] }>;
  txs: string[];
  approvals: PayoutApproval[];
  holdReasons: string[];
  /** Amounts are base units of this token. */
  token?: { symbol: string; decimals: number };
  /** Set when the payout failed or was refused. */
  error?: string;
}

export interface MonthlyPayoutInput {
  month: string;
  /** Aggregate, state and simulate only: nothing is signed. A passing dry run unpauses the monthly Schedule. */
  dryRun?: boolean;
}

export interface PayoutBatchInput {
  month: string;
  batch: PlannedBatch;
  confirmations: number;
}

export interface PayoutBatchResult {
  batchId: string;
  receipt: BatchReceipt;
  broadcasts: number;
  signatures: number;
}

export interface DryRunResult {
  month: string;
  plan: PayoutPlan;
  simulations: BatchSimulation[];
  passed: boolean;
}

/** Workflow signatures for callers that start them by name. */
export type MonthlyPayoutWorkflow = (input: MonthlyPayoutInput) => Promise<PayoutStatus>;
