import * as fs from 'node:fs';
import * as path from 'node:path';
import { ChunkIntegrityError, ChunkOpener } from '../activities/node/chunk-codec';
import type { ChunkStore } from '../activities/node/chunk-store';
import { merkleRoot } from '../activities/node/merkle-tree';
import { deriveSessionKey } from '../activities/node/session-key';
import type { SessionStore } from '../activities/control/session-store';
import type { SessionManifest } from '../workflows/session-types';

export interface AuditDeps {
  sessions: SessionStore;
  store: ChunkStore;
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
}

/**
 * Every chunk read the one way chunks are read: leaf hash, AEAD, zstd, size.
 * A chunk that fails is recorded as an incident (SPEC-4) and its bytes are
 * never returned; `use` sees only chunks that passed.
 */
async function eachChunk(m: SessionManifest, deps: AuditDeps, use: (media: Buffer) => void): Promise<VerifyReport['firstBad']> {
  const opener = new ChunkOpener(deriveSessionKey(deps.nodeKey, m.sessionId), m.sessionId, deps.store);
  for (const [i, chunk] of m.chunks.entries()) {
    if (chunk.index !== i) return { index: i, kind: 'gap', reason: `chunk ${i}: the manifest lists index ${chunk.index} here` };
    try {
      use(opener.open(chunk));
    } catch (err) {
      if (!(err instanceof ChunkIntegrityError)) throw err;
      await deps.sessions.recordIncident({ sessionId: m.sessionId, nodeId: m.nodeId, chunkIndex: chunk.index, leaf: chunk.leaf, kind: err.kind, reason: err.message });
      return { index: chunk.index, kind: err.kind, reason: err.message };
    }
    deps.onChunk?.(i + 1, m.chunks.length);
  }
  return undefined;
}

export async function manifestOf(sessions: SessionStore, sessionId: string): Promise<SessionManifest> {
  const m = await sessions.get(sessionId);
  if (!m) throw new Error(`no session '${sessionId}' (see lucid session list)`);
  return m;
}

export async function verifySession(sessionId: string, deps: AuditDeps): Promise<VerifyReport> {
  const m = await manifestOf(deps.sessions, sessionId);
  const rootMatches = merkleRoot(m.chunks.map((c) => Buffer.from(c.leaf, 'hex'))).toString('hex') === m.root;
  const firstBad = await eachChunk(m, deps, () => undefined);
  return { sessionId, ok: rootMatches && !firstBad, chunks: m.chunks.length, bytes: m.bytes, root: m.root, rootMatches, firstBad };
}

/** Decrypts and reassembles the recorded media into `outFile`; refuses (and leaves no file) at the first bad chunk. */
export async function exportSession(sessionId: string, outFile: string, deps: AuditDeps): Promise<VerifyReport> {
  const m = await manifestOf(deps.sessions, sessionId);
  const rootMatches = merkleRoot(m.chunks.map((c) => Buffer.from(c.leaf, 'hex'))).toString('hex') === m.root;
  const tmp = path.join(path.dirname(path.resolve(outFile)), `.${path.basename(outFile)}.partial-${process.pid}`);
  // Decrypted media is only ever the finished export: the partial file goes on any refusal or error.
  let renamed = false;
  try {
    let firstBad: VerifyReport['firstBad'];
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      firstBad = rootMatches ? await eachChunk(m, deps, (media) => fs.writeSync(fd, media)) : undefined;
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    const report = { sessionId, ok: rootMatches && !firstBad, chunks: m.chunks.length, bytes: m.bytes, root: m.root, rootMatches, firstBad };
    if (report.ok) {
      fs.renameSync(tmp, outFile);
      renamed = true;
    }
    return report;
  } finally {
    if (!renamed) fs.rmSync(tmp, { force: true });
  }
}
