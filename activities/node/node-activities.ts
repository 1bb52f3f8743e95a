import { ApplicationFailure, CancelledFailure, Context, heartbeat } from '@temporalio/activity';
import type { RecorderInput } from '../../config/node-config';
import { ChunkPipeline } from '../../sessions/chunk-pipeline';
import { ChunkSealer, codecParameters, type ChunkRecord, type CodecParameters } from '../../sessions/chunk-codec';
import { ChunkStore } from '../../sessions/chunk-store';
import { fixedChunks } from '../../sessions/chunker';
import { leafHash, merkleRoot } from '../../sessions/merkle-tree';
import { startRecording, type Encoder } from '../../sessions/recorder';
import { deriveSessionKey } from '../../sessions/session-key';
import { SessionJournal } from '../../sessions/session-journal';
import type { ChunkBucket } from '../../sessions/chunk-bucket';
import { repairChunkCopies } from '../../sessions/copy-repair';
import { ReplicaLog } from '../../sessions/replica-log';
import type { ChunkRepair, CopyCheckDue, CopyCheckReport, PeerProgress, ReplicationProgress } from '../../workflows/replication-types';
import { choosePeers, type PeerSettings } from '../../config/peer-config';
import { PeerChunks } from '../../sessions/peer-chunks';

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
  /** The copies this node holds for its peers, apart from its own chunks. */
  held: ChunkStore;
  /** The node's chunk host and the peer copies it asks for (LUCID_CHUNK_HOST_*, LUCID_PEER*). */
  peers: PeerSettings;
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
  /** Another node's chunk host, asked with this node's signature; refused outright when this node has no key. */
  const peerSource = (nodeId: string, host: string) => {
    if (!ctx.peers.key) throw ApplicationFailure.nonRetryable(`node ${ctx.nodeId}: no chunk-host key (LUCID_CHUNK_HOST_KEY_FILE) to reach peer ${nodeId} with`);
    return new PeerChunks(nodeId, host, ctx.peers.key, ctx.nodeId);
  };
  const matches = (data: Buffer | undefined, leaf: string): data is Buffer => data !== undefined && leafHash(data).toString('hex') === leaf;
  /** The chunk from another node's chunk host when what it answers matches the leaf; undefined when it has no such copy. */
  const fetchGood = async (leaf: string, source: PeerChunks): Promise<Buffer | undefined> => {
    const data = await source.get(leaf);
    return matches(data, leaf) ? data : undefined;
  };

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
      const { copies: asked, peers, url } = ctx.peers;
      const peerPlan = asked > 0 ? { peerPlan: { host: url!, peers: choosePeers(ctx.nodeId, peers, asked) } } : {};
      if (!bucket) return { journaled: records.length, replicated: 0, written: 0, ...peerPlan };
      const copies = new ReplicaLog(ctx.journalDir, sessionId, `s3-${bucket.target.bucket}`);
      const done = copies.leaves();
      const progress = { journaled: records.length, replicated: records.filter((r) => done.has(r.leaf)).length, written: 0 };
      const target = { target: { kind: 's3' as const, endpoint: bucket.target.endpoint, bucket: bucket.target.bucket }, ...peerPlan };
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
     * On a peer: pulls the chunks `origin` journaled for the session from its chunk host at `host`, each checked
     * against its leaf and stored with the copies this node holds, and lists each in its log once stored. Only
     * counts cross Temporal; a retry re-reads the log and fetches only what is not held yet. An origin that does not
     * answer is returned as a failure, retried on the workflow's back-off.
     */
    async holdPeerCopies(input: { sessionId: string; origin: string; host: string }): Promise<PeerProgress> {
      const { sessionId, origin } = input;
      if (!ctx.peers.url) {
        throw ApplicationFailure.nonRetryable(`node ${ctx.nodeId} runs no chunk host (LUCID_CHUNK_HOST_LISTEN): it could not serve copies held for ${origin} back`);
      }
      const source = peerSource(origin, input.host);
      const log = new ReplicaLog(ctx.journalDir, sessionId, `held-for-${origin}`);
      const done = log.leaves();
      const progress = { host: ctx.peers.url, journaled: 0, replicated: 0, written: 0 };
      const context = `node ${ctx.nodeId}, holding session ${sessionId} for ${origin}`;
      let leaves: string[];
      try {
        leaves = await source.leaves(sessionId);
      } catch (err) {
        return { ...progress, failure: `${context}: ${(err as Error).message}` };
      }
      progress.journaled = leaves.length;
      progress.replicated = leaves.filter((l) => done.has(l)).length;
      for (const [index, leaf] of leaves.entries()) {
        if (done.has(leaf)) continue;
        // Held already (a retry after the write, before the log line): nothing is fetched or written again.
        if (!matches(ctx.held.get(leaf), leaf)) {
          let data: Buffer | undefined;
          try {
            data = await fetchGood(leaf, source);
          } catch (err) {
            return { ...progress, failure: `${context}, chunk ${index}: ${(err as Error).message}` };
          }
          if (!data) return { ...progress, failure: `${context}, chunk ${index}: ${source.where(leaf)} has no copy that matches the leaf` };
          await ctx.held.restore(leaf, data);
          progress.written += 1;
        }
        await log.add(leaf);
        done.add(leaf);
        progress.replicated += 1;
        heartbeat(progress);
      }
      return progress;
    },

    /**
     * Checks every chunk of the session (the manifest's leaves, in index order) on the node and in the bucket, and
     * repairs a bad copy from a good one; the node's own is restored from the bucket's, else from a peer's. Peers'
     * copies are checked on the peers (repairHeldCopies), which fetch a bad one again from this node's chunk host.
     * Resumes after a retry from its last heartbeat, with what it repaired so far; a store or peer that fails is
     * thrown (and retried), never counted as a missing copy.
     */
    async repairCopies(input: { sessionId: string; leaves: string[]; peers?: CopyCheckDue['peers'] }): Promise<CopyCheckReport> {
      const { sessionId, leaves } = input;
      const bucket = ctx.bucket;
      const peers = (input.peers ?? []).map((p) => peerSource(p.nodeId, p.host));
      if (!bucket && peers.length === 0) return { sessionId, checked: 0, repairs: [] };
      const beat = Context.current().info.heartbeatDetails as { next: number; repairs: ChunkRepair[] } | undefined;
      const repairs = beat?.repairs ?? [];
      for (let index = beat?.next ?? 0; index < leaves.length; index++) {
        try {
          repairs.push(...(await repairChunkCopies(index, leaves[index]!, ctx.store, bucket, peers)));
        } catch (err) {
          throw new Error(`node ${ctx.nodeId}, session ${sessionId}, chunk ${index}: ${(err as Error).message}`, { cause: err });
        }
        heartbeat({ next: index + 1, repairs });
      }
      return {
        sessionId,
        ...(bucket && { target: { kind: 's3' as const, endpoint: bucket.target.endpoint, bucket: bucket.target.bucket } }),
        ...(ctx.peers.url && { host: ctx.peers.url }),
        checked: leaves.length,
        repairs,
      };
    },

    /**
     * On a peer: checks the copies it holds of `origin`'s session against the manifest's leaves and fetches a bad
     * or missing one again from the origin's chunk host (which repairCopies has just made good where any copy
     * was). A chunk the origin cannot serve either is left to the origin's report, which counts it lost.
     */
    async repairHeldCopies(input: { sessionId: string; origin: string; host: string; leaves: string[] }): Promise<CopyCheckReport> {
      const { sessionId, origin, leaves } = input;
      const source = peerSource(origin, input.host);
      const beat = Context.current().info.heartbeatDetails as { next: number; repairs: ChunkRepair[] } | undefined;
      const repairs = beat?.repairs ?? [];
      for (let index = beat?.next ?? 0; index < leaves.length; index++) {
        const leaf = leaves[index]!;
        const held = ctx.held.get(leaf);
        if (matches(held, leaf)) continue;
        let data: Buffer | undefined;
        try {
          data = await fetchGood(leaf, source);
        } catch (err) {
          throw new Error(`node ${ctx.nodeId}, holding session ${sessionId} for ${origin}, chunk ${index}: ${(err as Error).message}`, { cause: err });
        }
        if (data) {
          await ctx.held.restore(leaf, data);
          const was = held ? 'no longer matched its leaf' : 'was gone';
          repairs.push({ index, leaf, kind: 'peer-rewritten', reason: `chunk ${index}: the copy peer ${ctx.nodeId} holds ${was}; fetched again from ${source.where(leaf)}` });
        }
        heartbeat({ next: index + 1, repairs });
      }
      return { sessionId, ...(ctx.peers.url && { host: ctx.peers.url }), checked: leaves.length, repairs };
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
