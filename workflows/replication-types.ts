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

