import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ChunkBucket } from '../sessions/chunk-bucket';
import { ChunkIntegrityError, ChunkOpener, type ChunkRecord } from '../sessions/chunk-codec';
import type { ChunkStore } from '../sessions/chunk-store';
import { leafHash, merkleRoot } from '../sessions/merkle-tree';
import { deriveSessionKey } from '../sessions/session-key';
import type { SessionStore } from '../stores/session-store';
import type { SessionManifest } from '../workflows/session-types';

export interface AuditDeps {
  sessions: SessionStore;
  store: ChunkStore;
  /** The object store chunks were replicated to: read when the node's own copy is gone or fails its leaf. */
  bucket?: ChunkBucket;
  nodeKey: Buffer;
  onChunk?: (done: number, total: number) => void;
}

export interface VerifyReport {
  sessionId: string;
  ok: boolean;
  chunks: number;
  bytes: number;
  root: string;
  rootMatches: boolean;
  /** The first chunk that failed, and why. */
  firstBad?: { index: number; kind: string; reason: string };
  /** Chunks read from each copy: `local` (the node's store) or the replica's `s3://bucket at endpoint`. */
  readFrom: Record<string, number>;
}

const LOCAL = 'local';

/**
 * The chunk list checked against the manifest root, then every chunk read the
 * one way chunks are read: leaf hash, AEAD, zstd, size. A chunk that fails is
 * recorded as an incident (SPEC-4) and its bytes are never returned. With
 * `use` (an export) nothing is decrypted for a list that does not match its
 * root; `use` sees only chunks that passed.
 */
async function audit(m: SessionManifest, deps: AuditDeps, use?: (media: Buffer) => void): Promise<VerifyReport> {
  const rootMatches = merkleRoot(m.chunks.map((c) => Buffer.from(c.leaf, 'hex'))).toString('hex') === m.root;
  const readFrom: Record<string, number> = {};
  const firstBad = rootMatches || !use ? await firstBadChunk(m, deps, readFrom, use ?? (() => undefined)) : undefined;
  const ok = rootMatches && !firstBad;
  return { sessionId: m.sessionId, ok, chunks: m.chunks.length, bytes: m.bytes, root: m.root, rootMatches, firstBad, readFrom };
}

async function firstBadChunk(m: SessionManifest, deps: AuditDeps, readFrom: Record<string, number>, use: (media: Buffer) => void): Promise<VerifyReport['firstBad']> {
  const opener = new ChunkOpener(deriveSessionKey(deps.nodeKey, m.sessionId), m.sessionId, deps.store);
  for (const [i, chunk] of m.chunks.entries()) {
    if (chunk.index !== i) return { index: i, kind: 'gap', reason: `chunk ${i}: the manifest lists index ${chunk.index} here` };
    try {
      const copy = await readCopy(m, chunk, deps);
      use(opener.openCiphertext(chunk, copy.bytes));
      readFrom[copy.from] = (readFrom[copy.from] ?? 0) + 1;
    } catch (err) {
      if (!(err instanceof ChunkIntegrityError)) throw err;
      await deps.sessions.recordIncident({
        sessionId: m.sessionId, nodeId: m.nodeId, chunkIndex: chunk.index, leaf: chunk.leaf, kind: err.kind, reason: err.message,
      });
      return { index: chunk.index, kind: err.kind, reason: err.message };
    }
    deps.onChunk?.(i + 1, m.chunks.length);
  }
  return undefined;
}

/**
 * The chunk's bytes from the first copy that matches its leaf: the node's own, else the replica's. A local copy
 * that is gone or fails its leaf while the replica is good is an incident (the node lost or changed data), and
 * the replica's bytes are read instead. With no good copy the local bytes go on to fail the reading checks.
 */
async function readCopy(m: SessionManifest, chunk: ChunkRecord, deps: AuditDeps): Promise<{ bytes: Buffer | undefined; from: string }> {
  const local = deps.store.get(chunk.leaf);
  const matches = (b: Buffer | undefined): b is Buffer => b !== undefined && leafHash(b).toString('hex') === chunk.leaf;
  if (matches(local) || !deps.bucket) return { bytes: local, from: LOCAL };
  const remote = await deps.bucket.get(chunk.leaf);
  if (!matches(remote)) {
    // Only a copy the manifest promises is an incident when it is bad; an unlisted one may never have been made.
    const { bucket, endpoint } = deps.bucket.target;
    if (m.replicas?.some((r) => r.bucket === bucket && r.endpoint === endpoint)) {
      const why = remote ? 'does not match its leaf' : 'is gone';
      await incident(m, chunk, deps, 'replica-bad', `chunk ${chunk.index}: ${deps.bucket.where(chunk.leaf)} ${why}`);
    }
    return { bytes: local, from: LOCAL };
  }
  const lost = local ? 'no longer matches its leaf' : 'is gone';
  await incident(m, chunk, deps, local ? 'leaf-mismatch' : 'missing', `chunk ${chunk.index}: the node's copy ${lost}; read from ${deps.bucket.where(chunk.leaf)}`);
  return { bytes: remote, from: `s3://${deps.bucket.target.bucket} at ${deps.bucket.target.endpoint}` };
}

function incident(m: SessionManifest, chunk: ChunkRecord, deps: AuditDeps, kind: string, reason: string): Promise<void> {
  return deps.sessions.recordIncident({ sessionId: m.sessionId, nodeId: m.nodeId, chunkIndex: chunk.index, leaf: chunk.leaf, kind, reason });
}

export function verifySession(m: SessionManifest, deps: AuditDeps): Promise<VerifyReport> {
  return audit(m, deps);
}

/** Decrypts and reassembles the recorded media into `outFile`; refuses (and leaves no file) at the first bad chunk. */
export async function exportSession(m: SessionManifest, outFile: string, deps: AuditDeps): Promise<VerifyReport> {
  const tmp = path.join(path.dirname(path.resolve(outFile)), `.${path.basename(outFile)}.partial-${process.pid}`);
  // Decrypted media is only ever the finished export: the partial file goes on any refusal or error.
  let renamed = false;
  try {
    const fd = fs.openSync(tmp, 'w', 0o600);
    let report: VerifyReport;
    try {
      report = await audit(m, deps, (media) => fs.writeSync(fd, media));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    if (report.ok) {
      fs.renameSync(tmp, outFile);
      renamed = true;
    }
    return report;
  } finally {
    if (!renamed) fs.rmSync(tmp, { force: true });
  }
}
