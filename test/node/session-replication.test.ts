import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
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
import { session } from '../../workflows/session';
import { ensureReplicaRepairSchedule } from '../../triggers/schedules';
import type { RepairSummary } from '../../workflows/replication-types';
import { CONTROL_QUEUE, nodeQueue, REPLICA_REPAIR_SCHEDULE_ID, replicationWorkflowId, sessionWorkflowId } from '../../workflows/task-queues';
import { eventually, kill9 } from '../anchoring/anchor-fixtures';
import { FleetHarness } from '../support/fleet-harness';
import { generateAgeKey, runTool, secretTools } from '../secrets/secret-tools';

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

/** Files under `dir` whose bytes contain `text`. */
function filesHolding(dir: string, text: string): string[] {
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .filter((f) => fs.readFileSync(f).includes(text));
}

/** Triggers the repair Schedule once and waits for the run it starts. */
async function repairRun(): Promise<RepairSummary> {
  const schedule = h.client.schedule.getHandle(REPLICA_REPAIR_SCHEDULE_ID);
  const before = new Set((await schedule.describe()).info.recentActions.map((a) => a.action.workflow.workflowId));
  await schedule.trigger();
  const workflowId = await eventually('the repair run started', async () =>
    (await schedule.describe()).info.recentActions.map((a) => a.action.workflow.workflowId).find((id) => !before.has(id)));
  return h.client.workflow.getHandle(workflowId).result() as Promise<RepairSummary>;
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

  it('a terminated session: its replication copies what the journal holds once it stops growing, and closes', async () => {
    const sessionId = randomUUID();
    const args: Parameters<typeof session> = [{ sessionId, nodeId: NODE, seconds: 120 }];
    const handle = await h.client.workflow.start(session, { taskQueue: CONTROL_QUEUE, workflowId: sessionWorkflowId(sessionId), args });
    const log = new ReplicaLog(nodeStorePaths(h.dataDir, NODE).journalDir, sessionId, 's3-lucid-chunks');
    await eventually('copies of the first chunks', async () => log.leaves().size >= 2 || undefined, 60_000);
    await handle.terminate('operator pulled the plug');

    const started = Date.now();
    const progress = await h.client.workflow.getHandle(replicationWorkflowId(sessionId)).result();
    expect(Date.now() - started).toBeLessThan(120_000);
    expect(progress.replicated).toBe(progress.journaled);
    expect(progress.journaled).toBeGreaterThanOrEqual(2);
    const state = await new ReplicationStore(h.db).get(sessionId);
    expect(state).toMatchObject({ journaled: progress.journaled, replicated: progress.journaled, done: true });
    expect(log.leaves().size).toBe(progress.journaled);
    expect(await manifest(sessionId)).toBeNull();
    expect(await metrics()).not.toContain(`lucid_replication_lag_chunks{node="${NODE}"}`);
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

  it('the repair Schedule rewrites a bad object from the node\'s copy, restores a node\'s lost chunk from the bucket, records each, and its next run repairs nothing', async () => {
    const rec = await record(4);
    await eventually('the copy listed in the manifest', async () => (await manifest(rec.sessionId)).replicas);
    const [corrupt, gone, lost] = (await manifest(rec.sessionId)).chunks;
    const local = (leaf: string) => path.join(nodeStorePaths(h.dataDir, NODE).store, leaf.slice(0, 2), leaf);
    const t = s3Target(s3env)!;
    const raw = new S3Client({ endpoint: t.endpoint, region: t.region, credentials: t, forcePathStyle: true });
    const changed = fs.readFileSync(local(corrupt!.leaf));
    changed[50] ^= 0x01;
    await raw.send(new PutObjectCommand({ Bucket: t.bucket, Key: `chunks/${corrupt!.leaf}`, Body: changed }));
    await raw.send(new DeleteObjectCommand({ Bucket: t.bucket, Key: `chunks/${lost!.leaf}` }));
    raw.destroy();
    fs.rmSync(local(gone!.leaf));
    fs.rmSync(local(lost!.leaf));

    await ensureReplicaRepairSchedule(h.client, 86_400, { pickupSeconds: 10, maxChunks: 100_000 });
    const first = await repairRun();
    expect(first).toMatchObject({ rewritten: expect.any(Number), restored: expect.any(Number), lost: 1 });
    expect(first.skipped.filter((s) => s.nodeId === NODE)).toEqual([]);
    const incidents = await h.db.collection('incidents').find({ sessionId: rec.sessionId }).sort({ chunkIndex: 1 }).toArray();
    expect(incidents.map((i) => [i.chunkIndex, i.kind])).toEqual([[0, 'replica-rewritten'], [1, 'local-restored'], [2, 'lost']]);
    expect(incidents[0]!.reason).toMatch(/chunk 0: s3:\/\/lucid-chunks\/chunks\/[0-9a-f]{64} at http.* held \d+ bytes that do not match the leaf; rewritten from the node's copy/);
    expect(incidents[1]!.reason).toMatch(/chunk 1: the node's copy was gone; restored from s3:/);
    expect(incidents[2]!.reason).toMatch(/chunk 2: the node's copy was gone and s3:.* is gone too; no good copy left/);
    expect(leafHash((await bucket.get(corrupt!.leaf))!).toString('hex')).toBe(corrupt!.leaf);
    expect(leafHash(fs.readFileSync(local(gone!.leaf))).toString('hex')).toBe(gone!.leaf);

    const second = await repairRun();
    expect(second).toMatchObject({ rewritten: 0, restored: 0, lost: 1 });
    expect(second.sessions).toBe(first.sessions);
    const again = await h.db.collection('incidents').find({ sessionId: rec.sessionId }).toArray();
    expect(again.filter((i) => i.kind !== 'lost')).toHaveLength(2);
    await h.client.schedule.getHandle(REPLICA_REPAIR_SCHEDULE_ID).delete();
  });

  it('a node worker given the store\'s keys as a SOPS file and its age identity (no plaintext keys) replicates with them', async () => {
    const tools = secretTools();
    const dir = fs.mkdtempSync(path.join('/dev/shm', 'lucid-test-sops-'));
    try {
      const key = generateAgeKey(tools, dir, 'n-sops');
      const creds = readS3Credentials(objectStore.credentialsFile!);
      // The plaintext only on tmpfs, as an operator's would be before sops encrypts it.
      fs.writeFileSync(path.join(dir, 'plain.yaml'), `S3_ACCESS_KEY: ${creds.accessKeyId}\nS3_SECRET_KEY: ${creds.secretAccessKey}\n`);
      const args = ['encrypt', '--age', key.recipient, '--input-type', 'yaml', '--output-type', 'yaml', 'plain.yaml'];
      const secretsFile = path.join(work, 's3.enc.yaml');
      fs.writeFileSync(secretsFile, runTool(tools.sops, args, { cwd: dir }));
      expect(fs.readFileSync(secretsFile, 'utf8')).not.toContain(creds.secretAccessKey);

      const node = 'n-sops';
      const vars = {
        LUCID_RECORD_INPUT: 'lavfi:testsrc2=size=640x360:rate=25', LUCID_CHUNK_BYTES: String(64 * 1024),
        LUCID_S3_ENDPOINT: objectStore.endpoint, LUCID_S3_SECRETS_FILE: secretsFile, LUCID_AGE_IDENTITY_FILE: key.keyFile,
      };
      const worker = h.spawnWorker('node', node, vars);
      await h.untilServed(nodeQueue(node));
      const out = await h.cli(['session', 'record', '--node', node, '--seconds', '3', '--json'], s3env);
      expect(out.code).toBe(0);
      const result = JSON.parse(out.stdout) as SessionResult;
      const replicas = await eventually('the copy listed in the manifest', async () => (await manifest(result.sessionId)).replicas);
      expect(replicas).toEqual([expect.objectContaining({ kind: 's3', endpoint: objectStore.endpoint, chunks: result.chunks })]);
      await kill9(worker);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the embedded MinIO listens on loopback with its data in the data dir and its keys only on tmpfs; dev status shows it, dev down stops it', async () => {
    expect(objectStore).toMatchObject({ endpoint: `http://127.0.0.1:${S3_PORT}`, embedded: true });
    const keys = objectStore.credentialsFile!;
    expect(fs.statSync(keys).mode & 0o777).toBe(0o400);
    expect(keys.startsWith('/dev/shm/')).toBe(true);
    const secret = readS3Credentials(keys).secretAccessKey;
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect(fs.readdirSync(path.join(h.dataDir, 'minio', 'data'))).toContain('lucid-chunks');
    // MinIO's root password is in its environment, never on its command line, nor in any file of the data dir.
    expect(fs.readFileSync(`/proc/${minio.pid()}/cmdline`, 'utf8')).not.toContain(secret);
    expect(filesHolding(h.dataDir, secret)).toEqual([]);

    // An earlier version's plaintext keys in the data dir are removed.
    const legacy = path.join(h.dataDir, 'minio', 'credentials.json');
    fs.writeFileSync(legacy, JSON.stringify(readS3Credentials(keys)), { mode: 0o600 });
    await ensureObjectStore(minio, h.dataDir, S3_PORT);
    expect(fs.existsSync(legacy)).toBe(false);

    // After a reboot (tmpfs emptied) the keys are made anew and MinIO runs under them, its objects intact.
    const leaf = (await manifest(recorded.sessionId)).chunks[0]!.leaf;
    const held = await bucket.get(leaf);
    fs.rmSync(path.dirname(keys), { recursive: true });
    const rebooted = await ensureObjectStore(minio, h.dataDir, S3_PORT);
    expect(rebooted.credentialsFile).toBe(keys);
    expect(readS3Credentials(keys).secretAccessKey).not.toBe(secret);
    await expect(bucket.get(leaf)).rejects.toThrow(/InvalidAccessKeyId/);
    const renewed = new ChunkBucket(s3Target(objectStoreEnv(rebooted))!);
    expect((await renewed.get(leaf))?.equals(held!)).toBe(true);
    renewed.close();

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
