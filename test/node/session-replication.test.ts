import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import * as path from 'node:path';
import { readS3Credentials, s3Target } from '../../config/s3-config';
import { ChunkBucket } from '../../sessions/chunk-bucket';
import { leafHash } from '../../sessions/merkle-tree';
import { ReplicationStore } from '../../stores/replication-store';
import { nodeStorePaths } from '../../sessions/node-store-paths';
import { ReplicaLog } from '../../sessions/replica-log';
import { stackDir } from '../../services/stack/stack-state';
import { ManagedProcess } from '../../services/stack/managed-process';
import { ensureObjectStore, objectStoreEnv, type ObjectStoreState } from '../../services/stack/object-store';
import type { SessionManifest, SessionResult } from '../../workflows/session-types';
import { nodeQueue } from '../../workflows/task-queues';
import { eventually, kill9 } from '../anchoring/anchor-fixtures';
import { FleetHarness } from '../support/fleet-harness';

let h: FleetHarness;
let work: string;
let minio: ManagedProcess;
let objectStore: ObjectStoreState;
let s3env: NodeJS.ProcessEnv;
let bucket: ChunkBucket;

// Apart from the run's other servers, as `dev up` keeps MinIO apart from its registry (global-setup: registry 17500 + offset).
const S3_PORT = 19000 + Number(process.env.LUCID_TEST_PORT_OFFSET ?? 0) + (process.env.LUCID_ENGINE === 'postgres' ? 50 : 0);
const NODE = 'n-rep';
const SERVE_PORT = 18795 + Number(process.env.LUCID_TEST_PORT_OFFSET ?? 0);

async function metrics(): Promise<string> {
  return (await fetch(`http://127.0.0.1:${SERVE_PORT}/metrics`)).text();
}

async function record(seconds: number): Promise<SessionResult> {
  const out = await h.cli(['session', 'record', '--node', NODE, '--seconds', String(seconds), '--json'], s3env);
  if (out.code !== 0) throw new Error(`session record exited ${out.code}: ${out.stderr}`);
  return JSON.parse(out.stdout) as SessionResult;
}

async function manifest(sessionId: string): Promise<SessionManifest> {
  return (await h.db.collection<SessionManifest>('sessions').findOne({ sessionId }))!;
}

beforeAll(async () => {
  h = await FleetHarness.start('replication', []);
  work = path.join(h.dataDir, 'work');
  fs.mkdirSync(work, { recursive: true });
  minio = new ManagedProcess('minio', stackDir(h.dataDir));
  objectStore = await ensureObjectStore(minio, h.dataDir, S3_PORT);
  s3env = objectStoreEnv(objectStore);
  bucket = new ChunkBucket(s3Target(s3env)!);
  await h.startControlWorker();
  await h.serve(SERVE_PORT, { LUCID_WEBHOOK_SECRET: 'x'.repeat(32) });
  await h.startNodeWorker(NODE, { LUCID_RECORD_INPUT: 'lavfi:testsrc2=size=640x360:rate=25', LUCID_CHUNK_BYTES: String(64 * 1024), ...s3env });
});
afterAll(async () => {
  bucket?.close();
  await h?.close();
  await minio?.stop();
});

describe('sealed chunks replicated to the object store', () => {
  let recorded: SessionResult;

  it('copies every chunk of a recording to the bucket under its leaf, and the manifest and session list show the copy', async () => {
    recorded = await record(3);
    expect(recorded.chunks).toBeGreaterThan(1);
    const replicas = await eventually('the copy listed in the manifest', async () => (await manifest(recorded.sessionId)).replicas);
    expect(replicas).toEqual([{ kind: 's3', endpoint: objectStore.endpoint, bucket: 'lucid-chunks', chunks: recorded.chunks, at: expect.any(String) }]);

    const store = nodeStorePaths(h.dataDir, NODE).store;
    for (const c of (await manifest(recorded.sessionId)).chunks) {
      const copy = await bucket.get(c.leaf);
      expect(copy?.equals(fs.readFileSync(path.join(store, c.leaf.slice(0, 2), c.leaf)))).toBe(true);
    }
    const list = await h.cli(['session', 'list'], s3env);
    expect(list.stderr).toContain(`${recorded.sessionId}  node ${NODE}`);
    expect(list.stderr).toContain(`copies: node, s3://lucid-chunks at ${objectStore.endpoint} (${recorded.chunks}/${recorded.chunks})`);
  });

  it('with the node\'s chunk store gone, verify and export read the S3 copy, say so, and the export is byte-identical', async () => {
    const before = path.join(work, 'before.ts');
    const first = await h.cli(['session', 'export', recorded.sessionId, '-o', before], s3env);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain(`read ${recorded.chunks} chunks from local`);

    fs.rmSync(nodeStorePaths(h.dataDir, NODE).store, { recursive: true, force: true });
    const verify = await h.cli(['session', 'verify', recorded.sessionId, '--json'], s3env);
    expect(verify.code).toBe(0);
    const from = `s3://lucid-chunks at ${objectStore.endpoint}`;
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, chunks: recorded.chunks, readFrom: { [from]: recorded.chunks } });
    expect(verify.stderr).toContain(`read ${recorded.chunks} chunks from ${from}`);

    const after = path.join(work, 'after.ts');
    const second = await h.cli(['session', 'export', recorded.sessionId, '-o', after], s3env);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain(`read ${recorded.chunks} chunks from ${from}`);
    expect(fs.readFileSync(after).equals(fs.readFileSync(before))).toBe(true);
    expect(fs.statSync(after).size).toBe(recorded.bytes);

    const incidents = await h.db.collection('incidents').find({ sessionId: recorded.sessionId }).toArray();
    expect(incidents.filter((i) => i.kind === 'missing')).toHaveLength(2 * recorded.chunks);
    expect(incidents[0]!.reason).toMatch(/the node's copy is gone; read from s3:\/\/lucid-chunks\/chunks\/[0-9a-f]{64} at http/);
  });

  it('without the store\'s copy either, verify fails naming the missing chunk', async () => {
    const without = await h.cli(['session', 'verify', recorded.sessionId], { LUCID_S3_ENDPOINT: '' });
    expect(without.code).toBe(5);
    expect(without.stderr).toMatch(/verify FAILED: chunk 0: not in the chunk store/);
  });

  it('one chunk changed in the node\'s store: verify reads the good copy from S3 for it and records an incident', async () => {
    const fresh = await record(3);
    await eventually('the copy listed in the manifest', async () => (await manifest(fresh.sessionId)).replicas);
    const victim = (await manifest(fresh.sessionId)).chunks[1]!;
    const file = path.join(nodeStorePaths(h.dataDir, NODE).store, victim.leaf.slice(0, 2), victim.leaf);
    const bytes = fs.readFileSync(file);
    bytes[100] ^= 0x01;
    fs.writeFileSync(file, bytes);

    const verify = await h.cli(['session', 'verify', fresh.sessionId, '--json'], s3env);
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, readFrom: { local: fresh.chunks - 1, [`s3://lucid-chunks at ${objectStore.endpoint}`]: 1 } });
    const incidents = await h.db.collection('incidents').find({ sessionId: fresh.sessionId }).toArray();
    expect(incidents).toEqual([expect.objectContaining({ chunkIndex: 1, leaf: victim.leaf, kind: 'leaf-mismatch', nodeId: NODE })]);
    expect(incidents[0]!.reason).toMatch(/the node's copy no longer matches its leaf; read from s3:/);
  });

  it('MinIO stopped during a recording: the recording completes, its copies land once MinIO is back', async () => {
    await minio.stop();
    const started = Date.now();
    const offline = await record(4);
    expect(offline.chunks).toBeGreaterThan(1);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect((await manifest(offline.sessionId)).replicas).toBeUndefined();
    const state = await eventually('the replication failure recorded', async () => {
      const s = await new ReplicationStore(h.db).get(offline.sessionId);
      return s?.failure && s.journaled === offline.chunks ? s : undefined;
    });
    expect(state).toMatchObject({ nodeId: NODE, journaled: offline.chunks, replicated: 0, done: false });
    expect(state.failure).toMatch(new RegExp(`node ${NODE}, session ${offline.sessionId}, chunk 0: s3 ${objectStore.endpoint}`));
    const lagged = await metrics();
    expect(lagged).toContain(`lucid_replication_lag_chunks{node="${NODE}"} ${offline.chunks}`);
    expect(lagged).toContain(`lucid_replication_failing_sessions{node="${NODE}"} 1`);

    await ensureObjectStore(minio, h.dataDir, S3_PORT);
    const replicas = await eventually('the copies after MinIO is back', async () => (await manifest(offline.sessionId)).replicas, 120_000);
    expect(replicas).toEqual([expect.objectContaining({ chunks: offline.chunks })]);
    for (const c of (await manifest(offline.sessionId)).chunks) expect((await bucket.get(c.leaf))?.length).toBe(c.stored);
    expect(await new ReplicationStore(h.db).get(offline.sessionId)).toMatchObject({ replicated: offline.chunks, done: true });
    expect(await metrics()).not.toContain(`lucid_replication_lag_chunks{node="${NODE}"}`);
  });

  it('kill -9 of the node worker mid-replication: after its restart every chunk has one copy, none missing, none listed twice', async () => {
    const node = 'n-k9';
    const vars = { LUCID_RECORD_INPUT: 'lavfi:testsrc2=size=640x360:rate=25', LUCID_CHUNK_BYTES: String(64 * 1024), ...s3env };
    let worker = h.spawnWorker('node', node, vars);
    await h.untilServed(nodeQueue(node));
    // Copies queue up while the store is away, so they go in one burst when it is back: the burst is killed.
    await minio.stop();
    const out = await h.cli(['session', 'record', '--node', node, '--seconds', '6', '--json'], s3env);
    expect(out.code).toBe(0);
    const result = JSON.parse(out.stdout) as SessionResult;
    expect(result.chunks).toBeGreaterThan(10);
    const log = new ReplicaLog(nodeStorePaths(h.dataDir, node).journalDir, result.sessionId, 's3-lucid-chunks');
    await ensureObjectStore(minio, h.dataDir, S3_PORT);
    const copiedBeforeKill = await eventually('the first copies', async () => log.leaves().size || undefined, 120_000);
    await kill9(worker);
    process.stderr.write(`kill -9 of the node worker after ${copiedBeforeKill} of ${result.chunks} copies\n`);
    expect(copiedBeforeKill).toBeLessThan(result.chunks);
    worker = h.spawnWorker('node', node, vars);

    const replicas = await eventually('the copies after the restart', async () => (await manifest(result.sessionId)).replicas, 180_000);
    expect(replicas).toEqual([expect.objectContaining({ chunks: result.chunks })]);
    const listed = fs.readFileSync(log.file, 'utf8').split('\n').filter((l) => l.length === 64);
    const leaves = (await manifest(result.sessionId)).chunks.map((c) => c.leaf);
    expect(listed.sort()).toEqual([...leaves].sort());
    for (const leaf of leaves) expect(leafHash((await bucket.get(leaf))!).toString('hex')).toBe(leaf);
    await kill9(worker);
  });

  it('a put of what the bucket already holds writes nothing; an object cut short or changed under the key is written again', async () => {
    const data = randomBytes(4096);
    const leaf = leafHash(data).toString('hex');
    expect(await bucket.putVerified(leaf, data)).toEqual({ written: true });
    expect(await bucket.putVerified(leaf, data)).toEqual({ written: false });

    const t = s3Target(s3env)!;
    const raw = new S3Client({ endpoint: t.endpoint, region: t.region, credentials: t, forcePathStyle: true });
    const changed = Buffer.from(data);
    changed[7] ^= 0x01;
    for (const bad of [data.subarray(0, 1000), changed]) {
      await raw.send(new PutObjectCommand({ Bucket: t.bucket, Key: `chunks/${leaf}`, Body: bad }));
      expect(await bucket.putVerified(leaf, data)).toEqual({ written: true });
      expect((await bucket.get(leaf))?.equals(data)).toBe(true);
    }
    raw.destroy();
    await expect(bucket.putVerified(leaf, changed)).rejects.toThrow(/the local bytes do not match their leaf; not replicated/);
  });

  it('the embedded MinIO listens on loopback with its data and 0600 credentials in the data dir; dev status shows it, dev down stops it', async () => {
    expect(objectStore).toMatchObject({ endpoint: `http://127.0.0.1:${S3_PORT}`, embedded: true });
    expect(fs.statSync(objectStore.credentialsFile!).mode & 0o777).toBe(0o600);
    expect(objectStore.credentialsFile!.startsWith(h.dataDir)).toBe(true);
    expect(readS3Credentials(objectStore.credentialsFile!).secretAccessKey.length).toBeGreaterThanOrEqual(32);
    expect(fs.readdirSync(path.join(h.dataDir, 'minio', 'data'))).toContain('lucid-chunks');
    // MinIO's root password is in its environment, never on its command line.
    const cmdline = fs.readFileSync(`/proc/${minio.pid()}/cmdline`, 'utf8');
    expect(cmdline).not.toContain(readS3Credentials(objectStore.credentialsFile!).secretAccessKey);

    // The stack as `dev up` records it, with this run's servers as external ones.
    fs.writeFileSync(path.join(stackDir(h.dataDir), 'stack.json'), JSON.stringify({
      namespace: h.stack.namespace, temporalAddress: h.stack.temporalAddress, mongoUrl: h.stack.mongoUrl, registry: h.stack.registry,
      dataDir: h.dataDir, workers: [], objectStore,
    }));
    const status = await h.cli(['dev', 'status', '--json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toContainEqual(expect.objectContaining({
      name: 'object-store', embedded: true, running: true, address: objectStore.endpoint, pid: minio.pid(),
      detail: `bucket lucid-chunks, credentials ${objectStore.credentialsFile}`,
    }));
    const down = await h.cli(['dev', 'down']);
    expect(down.code).toBe(0);
    expect(minio.running()).toBe(false);
    const after = JSON.parse((await h.cli(['dev', 'status', '--json'])).stdout) as Array<{ name: string; running: boolean }>;
    expect(after.find((c) => c.name === 'object-store')?.running).toBe(false);
  });
});
