import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { MockActivityEnvironment } from '@temporalio/testing';
import { s3Target } from '../config/s3-config';
import { createNodeActivities } from '../activities/node/node-activities';
import { ManagedProcess } from '../services/stack/managed-process';
import { ensureObjectStore, objectStoreEnv } from '../services/stack/object-store';
import { s3Client } from '../sessions/chunk-bucket';
import { ChunkSealer } from '../sessions/chunk-codec';
import { ReplicaLog } from '../sessions/replica-log';
import { ChunkPipeline } from '../sessions/chunk-pipeline';
import { fixedChunks } from '../sessions/chunker';
import { deriveSessionKey } from '../sessions/session-key';
import { SessionJournal } from '../sessions/session-journal';
import { nodeWorkerContext } from '../workers/node';
import type { ReplicationProgress } from '../workflows/replication-types';
import { MIB, syntheticStream } from './synthetic-stream';

/**
 * bench:replication, against the embedded MinIO on loopback: a recorded session's sealed chunks copied by the node
 * worker's replicateChunks (HEAD, put, read back, leaf check, fsynced replica log) against a bare PutObject of the
 * same bytes with the same client; then the recording pipeline alone against it with replication following its
 * journal, the copies' lag when the recording ends and how long they take to catch up.
 */
const CHUNK = Number(process.env.BENCH_CHUNK_BYTES ?? 8 * MIB);
const TOTAL = Number(process.env.BENCH_BYTES ?? 256 * MIB);
const NODE = 'bench';

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-bench-replication-'));
  const minio = new ManagedProcess('minio', path.join(dataDir, 'stack'));
  const port = 39000 + Number(process.env.LUCID_TEST_PORT_OFFSET ?? 0);
  let keys: string | undefined;
  try {
    const store = await ensureObjectStore(minio, dataDir, port);
    keys = store.credentialsFile;
    const env = { ...objectStoreEnv(store), LUCID_CHUNK_BYTES: String(CHUNK) };
    const ctx = nodeWorkerContext({ nodeId: NODE, dataDir, nodeKey: randomBytes(32), env });
    const activities = createNodeActivities(ctx);
    // The activity as the node worker runs it, with an activity context for its heartbeats and no server around it.
    const replicate = (sessionId: string): Promise<ReplicationProgress> =>
      new MockActivityEnvironment().run(activities.replicateChunks, { sessionId });

    const record = async (sessionId: string, alongside?: () => Promise<void>) => {
      const sealer = new ChunkSealer(deriveSessionKey(ctx.nodeKey, sessionId), sessionId, ctx.store, ctx.zstdLevel);
      const journal = new SessionJournal(ctx.journalDir, sessionId);
      const chunks = new ChunkPipeline(sealer, journal, journal.claim(), () => undefined);
      const t = performance.now();
      let i = 0;
      for await (const chunk of fixedChunks(syntheticStream(TOTAL), CHUNK)) {
        await chunks.push(i++, chunk);
        await alongside?.();
      }
      await chunks.drain();
      await chunks.settle();
      await sealer.close();
      return performance.now() - t;
    };

    // 1. The same sealed bytes: a bare put of each, then the replication of each (after the bucket exists).
    const alone = await record('alone');
    const records = new SessionJournal(ctx.journalDir, 'alone').read();
    const stored = records.reduce((n, r) => n + r.stored, 0);
    await ctx.bucket!.ensureBucket();
    const client = s3Client(s3Target(env)!);
    let t = performance.now();
    for (const r of records) await client.send(new PutObjectCommand({ Bucket: store.bucket, Key: `bare/${r.leaf}`, Body: ctx.store.get(r.leaf)! }));
    const bareMs = performance.now() - t;
    client.destroy();
    t = performance.now();
    const copied = await replicate('alone');
    const replicationMs = performance.now() - t;
    if (copied.replicated !== records.length || copied.failure) throw new Error(`replication stopped short: ${JSON.stringify(copied)}`);

    // 2. A recording with replication following its journal, as the replicate- workflow does, without its pauses.
    let following: Promise<unknown> = Promise.resolve();
    let busy = false;
    const follow = async () => {
      if (busy) return;
      busy = true;
      following = replicate('followed').finally(() => (busy = false));
    };
    const withReplication = await record('followed', follow);
    const ended = performance.now();
    const copies = new ReplicaLog(ctx.journalDir, 'followed', `s3-${store.bucket}`);
    const lagChunks = records.length - copies.leaves().size;
    await following;
    while ((await replicate('followed')).replicated < records.length);
    const catchUpMs = performance.now() - ended;
    const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);
    process.stdout.write(
      [
        `bench:replication (MinIO on loopback; ${(TOTAL / MIB).toFixed(0)} MiB recorded, ${CHUNK / MIB} MiB chunks: ${records.length} sealed chunks, ${(stored / 1e6).toFixed(1)} MB)`,
        `  bare PutObject, same client                 ${mbps(stored, bareMs).toFixed(1).padStart(7)} MB/s`,
        `  replicateChunks (put, read back, leaf, log) ${mbps(stored, replicationMs).toFixed(1).padStart(7)} MB/s   ratio to bare ${(bareMs / replicationMs).toFixed(3)}`,
        `  recording pipeline alone                    ${mbps(TOTAL, alone).toFixed(1).padStart(7)} MB/s`,
        `  recording with replication following it    ${mbps(TOTAL, withReplication).toFixed(1).padStart(7)} MB/s   ratio to alone ${(alone / withReplication).toFixed(3)}`,
        `  lag when the recording ended: ${lagChunks} of ${records.length} chunks without a copy, all copied ${catchUpMs.toFixed(0)} ms later`,
        `  headroom: replication ${mbps(stored, replicationMs).toFixed(0)}x an 8 Mbit/s camera's 1 MB/s`,
        '',
      ].join('\n'),
    );
  } finally {
    await minio.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (keys) fs.rmSync(path.dirname(keys), { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench:replication: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
