import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ChunkBucket } from '../sessions/chunk-bucket';
import { ChunkIntegrityError, ChunkOpener, type ChunkRecord } from '../sessions/chunk-codec';
import type { ChunkStore } from '../sessions/chunk-store';
import { leafHash, merkleRoot } from '../sessions/merkle-tree';
import { deriveSessionKey } from '../sessions/session-key';
import type { SessionStore } from '../stores/session-store';
import type { SessionManifest } from '../workflows/session-types';
import { replicaName } from '../workflows/replication-types';
import { PeerChunks } from '../sessions/peer-chunks';

export interface AuditDeps {
  sessions: SessionStore;
  store: ChunkStore;
  /** The object store chunks were replicated to: read when the node's own copy is gone or fails its leaf. */
  bucket?: ChunkBucket;
  /** The fleet's chunk-host key: reads the copies peers hold (the manifest says which), after the object store's. */
  peerKey?: Buffer;
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
  /** Chunks read from each copy: `local` (the node's store), `s3://<bucket> at <endpoint>` or `peer <node> at <host>`. */
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
  const remotes = remoteCopies(m, deps);
  for (const [i, chunk] of m.chunks.entries()) {
    if (chunk.index !== i) return { index: i, kind: 'gap', reason: `chunk ${i}: the manifest lists index ${chunk.index} here` };
    try {
      const copy = await readCopy(m, chunk, deps, remotes);
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

/** A copy other than the node's own: the object store's or a peer's. */
interface RemoteCopy {
  name: string;
  where(leaf: string): string;
  get(leaf: string): Promise<Buffer | undefined>;
  /** The manifest lists it: only then is a bad copy there an incident (an unlisted one may never have been made). */
  listed: boolean;
}

/** The object store first (it is not a Pi), then each peer the manifest lists, in its order. */
function remoteCopies(m: SessionManifest, deps: AuditDeps): RemoteCopy[] {
  const copies: RemoteCopy[] = [];
  if (deps.bucket) {
    const bucket = deps.bucket;
    const { bucket: name, endpoint } = bucket.target;
    const listed = m.replicas?.some((r) => r.kind === 's3' && r.bucket === name && r.endpoint === endpoint) ?? false;
    copies.push({ name: replicaName({ kind: 's3', endpoint, bucket: name, chunks: 0 }), where: (l) => bucket.where(l), get: (l) => bucket.get(l), listed });
  }
  for (const r of m.replicas ?? []) {
    if (r.kind !== 'peer') continue;
    const key = deps.peerKey;
    const peer = key && new PeerChunks(r.nodeId, r.host, key, 'lucid-cli');
    // Without the key only a read that needs the peer fails: a session whose own copies are good verifies all the same.
    const noKey = () => Promise.reject(new Error(`session ${m.sessionId}: ${replicaName(r)} holds a copy, but no chunk-host key (LUCID_CHUNK_HOST_KEY_FILE) is set to read it with`));
    copies.push({ name: replicaName(r), where: (l) => `${replicaName(r)}/chunks/${l}`, get: (l) => (peer ? peer.get(l) : noKey()), listed: true });
  }
  return copies;
}

/**
 * The chunk's bytes from the first copy that matches its leaf: the node's own, else the object store's, else a
 * peer's. A local copy that is gone or fails its leaf while another is good is an incident (the node lost or
 * changed data), and the good copy's bytes are read instead. With no good copy the local bytes go on to fail the
 * reading checks.
 */
async function readCopy(
  m: SessionManifest,
  chunk: ChunkRecord,
  deps: AuditDeps,
  remotes: RemoteCopy[],
): Promise<{ bytes: Buffer | undefined; from: string }> {
  const local = deps.store.get(chunk.leaf);
  const matches = (b: Buffer | undefined): b is Buffer => b !== undefined && leafHash(b).toString('hex') === chunk.leaf;
  if (matches(local)) return { bytes: local, from: LOCAL };
  for (const copy of remotes) {
    const remote = await copy.get(chunk.leaf);
    if (matches(remote)) {
      const lost = local ? 'no longer matches its leaf' : 'is gone';
      await incident(m, chunk, deps, local ? 'leaf-mismatch' : 'missing', `chunk ${chunk.index}: the node's copy ${lost}; read from ${copy.where(chunk.leaf)}`);
      return { bytes: remote, from: copy.name };
    }
    if (copy.listed) await incident(m, chunk, deps, 'replica-bad', `chunk ${chunk.index}: ${copy.where(chunk.leaf)} ${remote ? 'does not match its leaf' : 'is gone'}`);
  }
  return { bytes: local, from: LOCAL };
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
