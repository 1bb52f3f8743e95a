import { defineSignal } from '@temporalio/workflow';

/** A session's copies in one object store, as its manifest lists them (each chunk's key is `chunks/<leaf>`). */
export interface S3Replica {
  kind: 's3';
  endpoint: string;
  bucket: string;
  /** Chunks whose copy there was read back and matched its leaf. */
  chunks: number;
  /** When the last of them was checked. */
  at: string;
}

/** A session's copies held by another node, served back by its chunk host at `host` (`GET /chunks/<leaf>`). */
export interface PeerReplica {
  kind: 'peer';
  nodeId: string;
  host: string;
  /** Chunks the peer fetched, checked against their leaf and stored. */
  chunks: number;
  at: string;
}

export type SessionReplica = S3Replica | PeerReplica;

/** A copy as the replication workflow lists it; the control worker dates it. */
export type ReplicaListing = Omit<S3Replica, 'at'> | Omit<PeerReplica, 'at'>;

/** How a copy is named to people and in `readFrom`: `s3://<bucket> at <endpoint>`, `peer <node> at <host>`. */
export function replicaName(r: ReplicaListing): string {
  return r.kind === 's3' ? `s3://${r.bucket} at ${r.endpoint}` : `peer ${r.nodeId} at ${r.host}`;
}

/** The fields that make two listings the same copy (a newer listing replaces the older). */
export function replicaIdentity(r: ReplicaListing): Record<string, string> {
  return r.kind === 's3' ? { kind: r.kind, endpoint: r.endpoint, bucket: r.bucket } : { kind: r.kind, nodeId: r.nodeId };
}

/** Where the origin's peers pull its chunks from, and which peers hold copies (none: LUCID_PEER_COPIES is 0). */
export interface PeerPlan {
  host: string;
  peers: string[];
}

/** How far one peer's copies of a session are; `host` is the peer's own chunk host, where the copies are read back. */
export interface PeerProgress {
  host?: string;
  journaled: number;
  replicated: number;
  written: number;
  failure?: string;
}

export interface ReplicationProgress {
  /** Unset: the node has no object store configured (LUCID_S3_ENDPOINT), so nothing is replicated. */
  target?: Omit<S3Replica, 'chunks' | 'at'>;
  /** Set when the node asks peers for copies (LUCID_PEER_COPIES): the workflow has each peer pull them. */
  peerPlan?: PeerPlan;
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

/**
 * What a repair did to one chunk's copies: the bucket's rewritten from the node's, the node's restored from another
 * copy, a peer's fetched again from the node, or none left.
 */
export interface ChunkRepair {
  index: number;
  leaf: string;
  kind: 'replica-rewritten' | 'local-restored' | 'peer-rewritten' | 'lost';
  reason: string;
}

/** One session's copies checked on its node against the manifest's leaves. */
export interface CopyCheckReport {
  sessionId: string;
  /** The object store checked; unset when the node has none configured. */
  target?: Omit<S3Replica, 'chunks' | 'at'>;
  /** The node's chunk host, which peers fetch a bad copy again from; unset when it runs none. */
  host?: string;
  checked: number;
  repairs: ChunkRepair[];
}

/** A session whose copies are due a check: its node, its chunks' leaves in index order, and the peers its manifest lists. */
export interface CopyCheckDue {
  sessionId: string;
  nodeId: string;
  leaves: string[];
  peers?: Array<{ nodeId: string; host: string }>;
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
