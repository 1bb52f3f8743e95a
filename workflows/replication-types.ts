import { defineSignal } from '@temporalio/workflow';

/** A session's copies in one object store, as its manifest lists them (each chunk's key is `chunks/<leaf>`). */
export interface SessionReplica {
  kind: 's3';
  endpoint: string;
  bucket: string;
  /** Chunks whose copy there was read back and matched its leaf. */
  chunks: number;
  /** When the last of them was checked. */
  at: string;
}

export interface ReplicationProgress {
  /** Unset: the node has no object store configured (LUCID_S3_ENDPOINT), so nothing is replicated. */
  target?: Omit<SessionReplica, 'chunks' | 'at'>;
  /** Chunks in the node's journal so far. */
  journaled: number;
  /** Of those, chunks with a checked copy. */
  replicated: number;
  /** Objects this call wrote (the rest were there already). */
  written: number;
  /** Why this call stopped short: the store did not answer or did not hold what was put. Retried on a back-off. */
  failure?: string;
}

export interface ReplicationInput {
  sessionId: string;
  nodeId: string;
  /** Carried over a continue-as-new: how many chunks the recording sealed, once it is over. */
  sealed?: number;
  /** Carried over a continue-as-new: the session closed without a count (terminated), so `sealed` is its journal's. */
  sessionClosedUnsaid?: boolean;
}

/** The session tells its replication the recording is over and how many chunks it has. */
export const recordingSealedSignal = defineSignal<[{ chunks: number }]>('recordingSealed');

/** What a repair did to one chunk's copies: the bucket's rewritten from the node's, the node's restored from the bucket's, or none left. */
export interface ChunkRepair {
  index: number;
  leaf: string;
  kind: 'replica-rewritten' | 'local-restored' | 'lost';
  reason: string;
}

/** One session's copies checked on its node against the manifest's leaves. */
export interface CopyCheckReport {
  sessionId: string;
  /** The object store checked; unset when the node has none configured (nothing was checked). */
  target?: Omit<SessionReplica, 'chunks' | 'at'>;
  checked: number;
  repairs: ChunkRepair[];
}

/** A session whose copies are due a check: its node and its chunks' leaves, in index order. */
export interface CopyCheckDue {
  sessionId: string;
  nodeId: string;
  leaves: string[];
}

export interface RepairInput {
  /** Chunks checked at most per run: sessions checked least recently first, whole sessions only. */
  maxChunks?: number;
  /** How long a node may take to pick its check up before it counts as unreachable this run. */
  pickupSeconds?: number;
}

export interface RepairSummary {
  sessions: number;
  chunks: number;
  rewritten: number;
  restored: number;
  lost: number;
  /** Sessions not checked this run, and why (their node did not pick the check up, the store failed). */
  skipped: Array<{ sessionId: string; nodeId: string; reason: string }>;
}
