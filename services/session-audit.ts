import * as fs from 'node:fs';
import * as path from 'node:path';
import { ChunkIntegrityError, ChunkOpener } from '../sessions/chunk-codec';
import type { ChunkStore } from '../sessions/chunk-store';
import { merkleRoot } from '../sessions/merkle-tree';
import { deriveSessionKey } from '../sessions/session-key';
import type { SessionStore } from '../stores/session-store';
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
 * The chunk list checked against the manifest root, then every chunk read the
 * one way chunks are read: leaf hash, AEAD, zstd, size. A chunk that fails is
 * recorded as an incident (SPEC-4) and its bytes are never returned. With
 * `use` (an export) nothing is decrypted for a list that does not match its
 * root; `use` sees only chunks that passed.
 */
async function audit(m: SessionManifest, deps: AuditDeps, use?: (media: Buffer) => void): Promise<VerifyReport> {
  const rootMatches = merkleRoot(m.chunks.map((c) => Buffer.from(c.leaf, 'hex'))).toString('hex') === m.root;
  const firstBad = rootMatches || !use ? await firstBadChunk(m, deps, use ?? (() => undefined)) : undefined;
  return { sessionId: m.sessionId, ok: rootMatches && !firstBad, chunks: m.chunks.length, bytes: m.bytes, root: m.root, rootMatches, firstBad };
}

async function firstBadChunk(m: SessionManifest, deps: AuditDeps, use: (media: Buffer) => void): Promise<VerifyReport['firstBad']> {
  const opener = new ChunkOpener(deriveSessionKey(deps.nodeKey, m.sessionId), m.sessionId, deps.store);
  for (const [i, chunk] of m.chunks.entries()) {
    if (chunk.index !== i) return { index: i, kind: 'gap', reason: `chunk ${i}: the manifest lists index ${chunk.index} here` };
    try {
      use(opener.open(chunk));
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
