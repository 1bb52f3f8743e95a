import { ApplicationFailure, CancelledFailure, Context, heartbeat } from '@temporalio/activity';
import type { RecorderInput } from '../../config/node-config';
import { ChunkPipeline } from '../../sessions/chunk-pipeline';
import { ChunkSealer, codecParameters, type ChunkRecord, type CodecParameters } from '../../sessions/chunk-codec';
import { ChunkStore } from '../../sessions/chunk-store';
import { fixedChunks } from '../../sessions/chunker';
import { merkleRoot } from '../../sessions/merkle-tree';
import { startRecording, type Encoder } from '../../sessions/recorder';
import { deriveSessionKey } from '../../sessions/session-key';
import { SessionJournal } from '../../sessions/session-journal';
import type { ChunkBucket } from '../../sessions/chunk-bucket';
import { repairChunkCopies } from '../../sessions/copy-repair';
import { ReplicaLog } from '../../sessions/replica-log';
import type { ChunkRepair, CopyCheckReport, ReplicationProgress } from '../../workflows/replication-types';

export interface NodeWorkerContext {
  nodeId: string;
  nodeKey: Buffer;
  /** The content-addressed chunk store (node-data-host role). */
  store: ChunkStore;
  /** Where the node journals each session's stored chunks. */
  journalDir: string;
  input: RecorderInput;
  encoder: Encoder;
  chunkBytes: number;
  zstdLevel: number;
  /** The object store sealed chunks are copied to (LUCID_S3_*); unset, they stay on the node only. */
  bucket?: ChunkBucket;
}

/** Heartbeat details of a recording: enough to check a resume against, nothing secret. */
export interface RecordingProgress {
  chunks: number;
  bytes: number;
  lastLeaf?: string;
}

export interface SessionChunks {
  chunks: ChunkRecord[];
  bytes: number;
  root: string;
  codec: CodecParameters;
}

const HEARTBEAT_MS = 1000;

/** Everything a node worker does on its Pi; it holds the node key and the chunk store, no database. */
export function createNodeActivities(ctx: NodeWorkerContext) {
  const journal = (sessionId: string) => new SessionJournal(ctx.journalDir, sessionId);

  return {
    /**
     * Records until `deadline` (or cancellation), sealing and storing each
     * chunk as it fills. After a crash or retry it continues from the node's
     * journal, checked against the last heartbeat, so indexes stay contiguous.
     */
    async recordSession(input: { sessionId: string; deadline: string }): Promise<RecordingProgress> {
      const { sessionId } = input;
      const activity = Context.current();
      const log = activity.log;
      const sessionJournal = journal(sessionId);
      const token = sessionJournal.claim();
      const stored = sessionJournal.read();
      const beat = activity.info.heartbeatDetails as RecordingProgress | undefined;
      if (beat && beat.chunks > stored.length) {
        throw ApplicationFailure.nonRetryable(
          `node ${ctx.nodeId}, session ${sessionId}: the journal has ${stored.length} chunks but ${beat.chunks} were reported; chunk records were lost`,
        );
      }
      const progress: RecordingProgress = {
        chunks: stored.length,
        bytes: stored.reduce((n, c) => n + c.size, 0),
        lastLeaf: stored.at(-1)?.leaf,
      };
      const seconds = (Date.parse(input.deadline) - Date.now()) / 1000;
      if (seconds <= 0.5) return progress;
      if (stored.length > 0) log.info('resuming recording', { sessionId, chunks: progress.chunks, bytes: progress.bytes, seconds });

      const recording = await startRecording(ctx.input, ctx.encoder, seconds);
      const sealer = new ChunkSealer(deriveSessionKey(ctx.nodeKey, sessionId), sessionId, ctx.store, ctx.zstdLevel);
      const onCancel = () => recording.stop();
      activity.cancellationSignal.addEventListener('abort', onCancel);
      // Heartbeats keep flowing between chunks, so a dead Pi shows within the heartbeat timeout and a cancel arrives.
      const ticker = setInterval(() => heartbeat(progress), HEARTBEAT_MS);
      const pipeline = new ChunkPipeline(sealer, sessionJournal, token, (record) => {
        progress.chunks += 1;
        progress.bytes += record.size;
        progress.lastLeaf = record.leaf;
        heartbeat(progress);
      });
      try {
        let next = progress.chunks;
        for await (const media of fixedChunks(recording.media, ctx.chunkBytes)) await pipeline.push(next++, media);
        await pipeline.drain();
        await recording.done;
      } catch (err) {
        recording.stop();
        throw new Error(`node ${ctx.nodeId}, session ${sessionId}, chunk ${progress.chunks}: ${(err as Error).message}`);
      } finally {
        await pipeline.settle();
        await sealer.close();
        clearInterval(ticker);
        activity.cancellationSignal.removeEventListener('abort', onCancel);
      }
      if (activity.cancellationSignal.aborted) throw new CancelledFailure('recording stopped by cancellation', [progress]);
      return progress;
    },

    /**
     * Copies the session's journaled chunks that have no checked copy yet to the object store, each read back
     * and checked against its leaf before it counts; returns how far replication is, and why it stopped short
     * when the store failed. Reads the journal beside a live recording without touching it, so recording never
     * waits on this.
     */
    async replicateChunks(input: { sessionId: string }): Promise<ReplicationProgress> {
      const { sessionId } = input;
      const records = journal(sessionId).snapshot();
      const bucket = ctx.bucket;
      if (!bucket) return { journaled: records.length, replicated: 0, written: 0 };
      const copies = new ReplicaLog(ctx.journalDir, sessionId, `s3-${bucket.target.bucket}`);
      const done = copies.leaves();
      const progress = { journaled: records.length, replicated: records.filter((r) => done.has(r.leaf)).length, written: 0 };
      const target = { target: { kind: 's3' as const, endpoint: bucket.target.endpoint, bucket: bucket.target.bucket } };
      for (const r of records) {
        if (done.has(r.leaf)) continue;
        const data = ctx.store.get(r.leaf);
        if (!data) {
          throw ApplicationFailure.nonRetryable(`node ${ctx.nodeId}, session ${sessionId}, chunk ${r.index}: not in the chunk store; nothing to replicate`);
        }
        let written: boolean;
        try {
          ({ written } = await bucket.putVerified(r.leaf, data));
        } catch (err) {
          // Returned, not thrown: the workflow records how far behind the copies are while the store is away.
          return { ...target, ...progress, failure: `node ${ctx.nodeId}, session ${sessionId}, chunk ${r.index}: ${(err as Error).message}` };
        }
        await copies.add(r.leaf);
        done.add(r.leaf);
        progress.replicated += 1;
        if (written) progress.written += 1;
        heartbeat(progress);
      }
      return { ...target, ...progress };
    },

    /**
     * Checks every chunk of the session (the manifest's leaves, in index order) on the node and in the bucket, and
     * repairs a bad copy from a good one. Resumes after a retry from its last heartbeat, with what it repaired so
     * far; a store that fails is thrown (and retried), never counted as a missing copy.
     */
    async repairCopies(input: { sessionId: string; leaves: string[] }): Promise<CopyCheckReport> {
      const { sessionId, leaves } = input;
      const bucket = ctx.bucket;
      if (!bucket) return { sessionId, checked: 0, repairs: [] };
      const beat = Context.current().info.heartbeatDetails as { next: number; repairs: ChunkRepair[] } | undefined;
      const repairs = beat?.repairs ?? [];
      for (let index = beat?.next ?? 0; index < leaves.length; index++) {
        try {
          const repair = await repairChunkCopies(index, leaves[index]!, ctx.store, bucket);
          if (repair) repairs.push(repair);
        } catch (err) {
          throw new Error(`node ${ctx.nodeId}, session ${sessionId}, chunk ${index}: ${(err as Error).message}`, { cause: err });
        }
        heartbeat({ next: index + 1, repairs });
      }
      return { sessionId, target: { kind: 's3', endpoint: bucket.target.endpoint, bucket: bucket.target.bucket }, checked: leaves.length, repairs };
    },

    /** The session's chunk list from the journal, with its Merkle root, for the manifest. */
    async sessionChunks(input: { sessionId: string }): Promise<SessionChunks> {
      const chunks = journal(input.sessionId).read();
      return {
        chunks,
        bytes: chunks.reduce((n, c) => n + c.size, 0),
        root: merkleRoot(chunks.map((c) => Buffer.from(c.leaf, 'hex'))).toString('hex'),
        codec: codecParameters(ctx.chunkBytes, ctx.zstdLevel),
      };
    },
  };
}

export type NodeActivities = ReturnType<typeof createNodeActivities>;
