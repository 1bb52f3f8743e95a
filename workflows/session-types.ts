import type { ChunkRecord, CodecParameters } from '../sessions/chunk-codec';
import type { SessionReplica } from './replication-types';

export interface SessionInput {
  sessionId: string;
  nodeId: string;
  /** Duration limit of the recording. */
  seconds: number;
}

/** The session manifest (SPEC-4): stored in MongoDB `sessions`, anchored later by its root. */
export interface SessionManifest {
  sessionId: string;
  nodeId: string;
  codec: CodecParameters;
  chunks: ChunkRecord[];
  bytes: number;
  /** BLAKE3 Merkle root over the chunks' leaf hashes, hex. */
  root: string;
  startedAt: string;
  endedAt: string;
  /** True when an operator stopped it before its duration limit. */
  cancelled: boolean;
  /** Why the recording failed, when it did; the chunks stored until then are listed all the same. */
  failure?: string;
  /** Set once the session's root is anchored on chain; `lucid session proof` has the whole proof. */
  anchored?: { batchId: string; txHash: string; blockNumber: number };
  /** Where copies of every chunk are besides the node's own store, once replication has checked them all. */
  replicas?: SessionReplica[];
}

export interface SessionResult {
  sessionId: string;
  chunks: number;
  bytes: number;
  root: string;
}
