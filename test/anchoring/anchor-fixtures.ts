import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { codecParameters } from '../../sessions/chunk-codec';
import { leafHash, merkleRoot } from '../../sessions/merkle-tree';
import type { SessionStore } from '../../stores/session-store';
import type { SessionManifest } from '../../workflows/session-types';

/**
 * A stored manifest of a session with `chunks` chunks, as the node worker
 * leaves it: leaves are BLAKE3 of random ciphertext, the root their tree's.
 */
export async function storedSession(sessions: SessionStore, nodeId: string, chunks = 3): Promise<SessionManifest> {
  const leaves = Array.from({ length: chunks }, () => leafHash(randomBytes(64)));
  const ended = new Date();
  const manifest: SessionManifest = {
    sessionId: randomUUID(),
    nodeId,
    codec: codecParameters(64 * 1024, 3),
    chunks: leaves.map((leaf, index) => ({ index, size: 1000, stored: 800, leaf: leaf.toString('hex'), nonce: randomBytes(24).toString('hex') })),
    bytes: chunks * 1000,
    root: merkleRoot(leaves).toString('hex'),
    startedAt: new Date(ended.getTime() - 60_000).toISOString(),
    endedAt: ended.toISOString(),
    cancelled: false,
  };
  await sessions.save(manifest);
  return manifest;
}

/** Polls until `get` returns something, or fails naming what it waited for. */
export async function eventually<T>(what: string, get: () => Promise<T | undefined | null | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The activities a workflow is running or waiting to retry: type, attempt, whether a worker has it, and the last failure. */
export interface PendingActivity {
  type: string;
  attempt: number;
  started: boolean;
  lastFailure?: string;
}

export async function pendingActivities(handle: WorkflowHandle): Promise<PendingActivity[]> {
  // A batch is sealed (in MongoDB) just before its workflow starts: until then there is nothing to describe.
  const described = await handle.describe().catch((err: unknown) => {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  });
  if (!described) return [];
  const { raw } = described;
  return (raw.pendingActivities ?? []).map((a) => ({
    type: a.activityType?.name ?? '',
    attempt: a.attempt ?? 0,
    started: a.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
    lastFailure: a.lastFailure?.message ?? undefined,
  }));
}

/** SIGKILL, and wait until the process is gone. */
export async function kill9(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}
