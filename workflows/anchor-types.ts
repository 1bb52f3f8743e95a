/** A stored session manifest's root, queued to be anchored. */
export interface AnchorRequest {
  sessionId: string;
  /** BLAKE3 session root, hex (64 chars). */
  root: string;
}

export interface BatcherSettings {
  /** A batch closes at this many sessions… */
  maxBatch: number;
  /** …or this long after its first session arrived, whichever comes first. */
  maxWaitSeconds: number;
  /** Confirmations an anchor waits for before its proofs are written. */
  confirmations: number;
}

/** Batches the anchor batcher closes before it continues as new, so its history stays small whatever the fleet records. */
export const BATCHES_PER_BATCHER_RUN = 25;

export interface BatcherInput {
  settings: BatcherSettings;
  /** Carried across continue-as-new. */
  pending?: AnchorRequest[];
}

export interface BatcherStatus {
  pending: number;
  batchesThisRun: number;
  anchoring?: string;
}

/** A batch sealed by the control plane: its id is derived from its contents. */
export interface SealedBatch {
  batchId: string;
  root: string;
  count: number;
  sessionIds: string[];
}

/** What the chain plane signed, stored in history and MongoDB before it is broadcast. */
export interface SignedAnchor {
  batchId: string;
  hash: string;
  raw: string;
  nonce: number;
  from: string;
}

export interface AnchorReceipt {
  chainId: number;
  contract: string;
  txHash: string;
  blockNumber: number;
  blockHash: string;
  logIndex: number;
}

/** How a wait for an anchor's receipt ended. */
export type ReceiptWait =
  | { state: 'confirmed'; receipt: AnchorReceipt }
  /** Not mined (dropped, or the chain restarted and lost it): broadcast the same bytes again. */
  | { state: 'missing' }
  /** The nonce went to another transaction and the batch is not anchored: sign again. */
  | { state: 'replaced' };

export interface AnchorBatchResult {
  batchId: string;
  root: string;
  count: number;
  receipt: AnchorReceipt;
  /** Broadcasts of the same signed bytes, and signatures made (more than one only when a nonce was lost). */
  broadcasts: number;
  signatures: number;
}

export interface IndexerInput {
  /** Blocks read per page. */
  pageSize: number;
  /** Pause when caught up with the chain head. */
  idleSeconds: number;
}

export interface IndexPage {
  fromBlock: number;
  toBlock: number;
  events: number;
  head: number;
  /** Set when a stored block hash no longer matched the chain: the index went back to this block. */
  rewoundTo?: number;
  /** Batches whose anchor vanished in the rewind and were started again. */
  reanchored: string[];
}

/** Workflow signatures for callers that start them by name without importing workflow code. */
export type AnchorBatcherWorkflow = (input: BatcherInput) => Promise<void>;
export type AnchorBatchWorkflow = (input: { batch: SealedBatch; confirmations: number }) => Promise<AnchorBatchResult>;
