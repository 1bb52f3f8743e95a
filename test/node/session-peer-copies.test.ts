import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { s3Target } from '../../config/s3-config';
import { ChunkBucket } from '../../sessions/chunk-bucket';
import { signRequest } from '../../sessions/chunk-host-auth';
import { leafHash } from '../../sessions/merkle-tree';
import { nodeStorePaths } from '../../sessions/node-store-paths';
import { stackDir } from '../../services/stack/stack-state';
import { ManagedProcess } from '../../services/stack/managed-process';
import { ReplicationStore } from '../../stores/replication-store';
import { ensureObjectStore, objectStoreEnv, type ObjectStoreState } from '../../services/stack/object-store';
import { ensureReplicaRepairSchedule } from '../../triggers/schedules';
import type { RepairSummary } from '../../workflows/replication-types';
import type { SessionManifest, SessionResult } from '../../workflows/session-types';
import { nodeQueue, REPLICA_REPAIR_SCHEDULE_ID } from '../../workflows/task-queues';
import { eventually, kill9 } from '../anchoring/anchor-fixtures';
import { FleetHarness } from '../support/fleet-harness';

let h: FleetHarness;
let minio: ManagedProcess;
let objectStore: ObjectStoreState;
let bucket: ChunkBucket;
let keyDir: string;
let key: Buffer;
/** What the CLI reads with: the object store, the chunk-host key, and the origin's own chunk store. */
let cliEnv: NodeJS.ProcessEnv;
let peerWorker: ChildProcess;
let peerVars: NodeJS.ProcessEnv;

const OFFSET = Number(process.env.LUCID_TEST_PORT_OFFSET ?? 0) + (process.env.LUCID_ENGINE === 'postgres' ? 50 : 0);
// Apart from session-replication's MinIO (19000 + offset), should both run in one jest run.
const S3_PORT = 19010 + OFFSET;
const ORIGIN = 'n-origin';
const PEER = 'n-peer';
const SERVE_PORT = 18796 + OFFSET;
const HOST = { [ORIGIN]: `http://127.0.0.1:${18810 + OFFSET}`, [PEER]: `http://127.0.0.1:${18811 + OFFSET}` };

function originStore(): string {
  return path.join(h.dataDir, 'origin-chunks');
}

function heldFile(leaf: string): string {
  return path.join(nodeStorePaths(h.dataDir, PEER).held, leaf.slice(0, 2), leaf);
}

async function metrics(): Promise<string> {
  return (await fetch(`http://127.0.0.1:${SERVE_PORT}/metrics`)).text();
}

async function manifest(sessionId: string): Promise<SessionManifest> {
  return (await h.db.collection<SessionManifest>('sessions').findOne({ sessionId }))!;
}

/** Triggers the repair Schedule once and waits for the run it starts. */
async function repairRun(): Promise<RepairSummary> {
  const schedule = h.client.schedule.getHandle(REPLICA_REPAIR_SCHEDULE_ID);
  const before = new Set((await schedule.describe()).info.recentActions.map((a) => a.action.workflow.workflowId));
  // A Schedule names its run by the start time to the second: a trigger in the second the last run started in would
  // reuse that id and start nothing.
  await new Promise((r) => setTimeout(r, 1050 - (Date.now() % 1000)));
  await schedule.trigger();
  const workflowId = await eventually('the repair run started', async () =>
    (await schedule.describe()).info.recentActions.map((a) => a.action.workflow.workflowId).find((id) => !before.has(id)));
  return h.client.workflow.getHandle(workflowId).result() as Promise<RepairSummary>;
}

beforeAll(async () => {
  h = await FleetHarness.start('peer-copies', []);
  minio = new ManagedProcess('minio', stackDir(h.dataDir));
  objectStore = await ensureObjectStore(minio, h.dataDir, S3_PORT);
  const s3env = objectStoreEnv(objectStore);
  bucket = new ChunkBucket(s3Target(s3env)!);
  keyDir = fs.mkdtempSync(path.join('/dev/shm', 'lucid-test-chunk-host-'));
  key = randomBytes(32);
  const keyFile = path.join(keyDir, 'chunk-host.key');
  fs.writeFileSync(keyFile, key.toString('base64'), { mode: 0o400 });
  await h.startControlWorker();
  const common = { LUCID_RECORD_INPUT: 'lavfi:testsrc2=size=640x360:rate=25', LUCID_CHUNK_BYTES: String(64 * 1024), LUCID_CHUNK_HOST_KEY_FILE: keyFile, ...s3env };
  // Two Pis: each its own process, node id, chunk store and chunk host; the origin asks for one peer copy.
  h.spawnWorker('node', ORIGIN, {
    ...common, LUCID_CHUNK_STORE: originStore(), LUCID_CHUNK_HOST_LISTEN: HOST[ORIGIN].slice(7), LUCID_PEERS: `${ORIGIN},${PEER}`, LUCID_PEER_COPIES: '1',
  });
  peerVars = { ...common, LUCID_CHUNK_STORE: path.join(h.dataDir, 'peer-chunks'), LUCID_CHUNK_HOST_LISTEN: HOST[PEER].slice(7) };
  peerWorker = h.spawnWorker('node', PEER, peerVars);
  await h.untilServed(nodeQueue(ORIGIN));
  await h.untilServed(nodeQueue(PEER));
  cliEnv = { ...s3env, LUCID_CHUNK_HOST_KEY_FILE: keyFile, LUCID_CHUNK_STORE: originStore() };
  await h.serve(SERVE_PORT, { LUCID_WEBHOOK_SECRET: 'x'.repeat(32) });
});
afterAll(async () => {
  bucket?.close();
  await h?.close();
  await minio?.stop();
  if (keyDir) fs.rmSync(keyDir, { recursive: true, force: true });
});

describe('peer copies: a replication factor of one S3 copy and one other node\'s store', () => {
  let recorded: SessionResult;
  let before: Buffer;

  it('the peer holds every chunk (checked against its leaf), and the manifest and session list show both copies', async () => {
    const out = await h.cli(['session', 'record', '--node', ORIGIN, '--seconds', '3', '--json'], cliEnv);
    expect(out.code).toBe(0);
    recorded = JSON.parse(out.stdout) as SessionResult;
    expect(recorded.chunks).toBeGreaterThan(2);
    const replicas = await eventually('both copies listed in the manifest', async () => ((await manifest(recorded.sessionId)).replicas?.length === 2 ? (await manifest(recorded.sessionId)).replicas : undefined), 120_000);
    expect(replicas).toEqual([
      { kind: 's3', endpoint: objectStore.endpoint, bucket: 'lucid-chunks', chunks: recorded.chunks, at: expect.any(String) },
      { kind: 'peer', nodeId: PEER, host: HOST[PEER], chunks: recorded.chunks, at: expect.any(String) },
    ]);
    for (const c of (await manifest(recorded.sessionId)).chunks) {
      expect(leafHash(fs.readFileSync(heldFile(c.leaf))).toString('hex')).toBe(c.leaf);
      expect(fs.existsSync(path.join(originStore(), c.leaf.slice(0, 2), c.leaf))).toBe(true);
    }
    const list = await h.cli(['session', 'list']);
    expect(list.stderr).toContain(`copies: node, s3://lucid-chunks at ${objectStore.endpoint} (${recorded.chunks}/${recorded.chunks}), peer ${PEER} at ${HOST[PEER]} (${recorded.chunks}/${recorded.chunks})`);

    const exported = path.join(h.dataDir, 'before.ts');
    expect((await h.cli(['session', 'export', recorded.sessionId, '-o', exported], cliEnv)).code).toBe(0);
    before = fs.readFileSync(exported);
  });

  it('the origin\'s local store and the S3 objects deleted: verify and export read every chunk from the peer, the export byte-identical', async () => {
    const { chunks } = await manifest(recorded.sessionId);
    fs.rmSync(originStore(), { recursive: true });
    const t = s3Target(cliEnv)!;
    const raw = new S3Client({ endpoint: t.endpoint, region: t.region, credentials: t, forcePathStyle: true });
    for (const c of chunks) await raw.send(new DeleteObjectCommand({ Bucket: t.bucket, Key: `chunks/${c.leaf}` }));
    raw.destroy();
    for (const c of chunks) expect(await bucket.get(c.leaf)).toBeUndefined();

    const fromPeer = `peer ${PEER} at ${HOST[PEER]}`;
    const verify = await h.cli(['session', 'verify', recorded.sessionId, '--json'], cliEnv);
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, readFrom: { [fromPeer]: recorded.chunks } });
    expect(verify.stderr).toContain(`read ${recorded.chunks} chunks from ${fromPeer}`);
    const exported = path.join(h.dataDir, 'after.ts');
    const exp = await h.cli(['session', 'export', recorded.sessionId, '-o', exported], cliEnv);
    expect(exp.code).toBe(0);
    expect(exp.stderr).toContain(`read ${recorded.chunks} chunks from ${fromPeer}`);
    expect(fs.readFileSync(exported).equals(before)).toBe(true);
    const incidents = await h.db.collection('incidents').find({ sessionId: recorded.sessionId, kind: 'missing' }).toArray();
    expect(incidents[0]!.reason).toMatch(new RegExp(`chunk \\d+: the node's copy is gone; read from peer ${PEER} at ${HOST[PEER]}/chunks/[0-9a-f]{64}`));
  });

  it('repair restores the origin and the bucket from the peer; a corrupt or lost peer copy is fetched again from the origin; the next run repairs nothing', async () => {
    const { chunks } = await manifest(recorded.sessionId);
    await ensureReplicaRepairSchedule(h.client, 86_400, { pickupSeconds: 30, maxChunks: 100_000 });
    const first = await repairRun();
    expect(first).toMatchObject({ sessions: 1, restored: chunks.length, rewritten: chunks.length, lost: 0, skipped: [] });
    for (const c of chunks) {
      expect(leafHash(fs.readFileSync(path.join(originStore(), c.leaf.slice(0, 2), c.leaf))).toString('hex')).toBe(c.leaf);
      expect(leafHash((await bucket.get(c.leaf))!).toString('hex')).toBe(c.leaf);
    }

    const [corrupt, gone] = [chunks[1]!, chunks[2]!];
    const bytes = fs.readFileSync(heldFile(corrupt.leaf));
    bytes[40] ^= 0x01;
    fs.writeFileSync(heldFile(corrupt.leaf), bytes);
    fs.rmSync(heldFile(gone.leaf));
    const second = await repairRun();
    expect(second).toMatchObject({ sessions: 1, restored: 0, rewritten: 2, lost: 0, skipped: [] });
    expect(leafHash(fs.readFileSync(heldFile(corrupt.leaf))).toString('hex')).toBe(corrupt.leaf);
    expect(leafHash(fs.readFileSync(heldFile(gone.leaf))).toString('hex')).toBe(gone.leaf);
    const peerRepairs = await h.db.collection('incidents').find({ sessionId: recorded.sessionId, kind: 'peer-rewritten' }).sort({ chunkIndex: 1 }).toArray();
    expect(peerRepairs.map((i) => [i.chunkIndex, i.reason])).toEqual([
      [1, `chunk 1: the copy peer ${PEER} holds no longer matched its leaf; fetched again from peer ${ORIGIN} at ${HOST[ORIGIN]}/chunks/${corrupt.leaf}`],
      [2, `chunk 2: the copy peer ${PEER} holds was gone; fetched again from peer ${ORIGIN} at ${HOST[ORIGIN]}/chunks/${gone.leaf}`],
    ]);

    expect(await repairRun()).toMatchObject({ sessions: 1, restored: 0, rewritten: 0, lost: 0, skipped: [] });
    await h.client.schedule.getHandle(REPLICA_REPAIR_SCHEDULE_ID).delete();
  });

  it('the chunk host answers a request signed with the fleet key and refuses one unsigned, signed with another key, or stale', async () => {
    const leaf = (await manifest(recorded.sessionId)).chunks[0]!.leaf;
    const urlPath = `/chunks/${leaf}`;
    const get = (authorization?: string) => fetch(`${HOST[PEER]}${urlPath}`, { headers: authorization ? { authorization } : {} });

    const unsigned = await get();
    expect(unsigned.status).toBe(401);
    expect(await unsigned.text()).toBe('refused: no Authorization header\n');
    expect((await get(signRequest(randomBytes(32), 'GET', urlPath, 'intruder'))).status).toBe(401);
    expect((await get(signRequest(key, 'GET', urlPath, 'n-old', Date.now() - 10 * 60_000))).status).toBe(401);
    const leaves = await fetch(`${HOST[ORIGIN]}/sessions/${recorded.sessionId}/leaves`);
    expect(leaves.status).toBe(401);

    const signed = await get(signRequest(key, 'GET', urlPath, 'lucid-test'));
    expect(signed.status).toBe(200);
    expect(leafHash(Buffer.from(await signed.arrayBuffer())).toString('hex')).toBe(leaf);
  });

  it('the peer away during a recording: the origin\'s lag shows on /metrics until the peer is back and holds every chunk', async () => {
    await kill9(peerWorker);
    const out = await h.cli(['session', 'record', '--node', ORIGIN, '--seconds', '3', '--json'], cliEnv);
    expect(out.code).toBe(0);
    const rec = JSON.parse(out.stdout) as SessionResult;
    const lag = `lucid_replication_lag_chunks{node="${ORIGIN}"} ${rec.chunks}`;
    await eventually('the lag of the peer copy on /metrics', async () => (await metrics()).includes(lag), 180_000);
    const state = (await new ReplicationStore(h.db).get(rec.sessionId))!;
    expect(state).toMatchObject({ nodeId: ORIGIN, journaled: rec.chunks, replicated: 0, done: false });
    expect(state.failure).toMatch(new RegExp(`^peer ${PEER}, holding session ${rec.sessionId} for ${ORIGIN}: `));
    expect((await manifest(rec.sessionId)).replicas).toBeUndefined();
    // The S3 copy went on meanwhile.
    for (const c of (await manifest(rec.sessionId)).chunks) expect(leafHash((await bucket.get(c.leaf))!).toString('hex')).toBe(c.leaf);

    peerWorker = h.spawnWorker('node', PEER, peerVars);
    const replicas = await eventually('both copies listed once the peer is back', async () => ((await manifest(rec.sessionId)).replicas?.length === 2 ? (await manifest(rec.sessionId)).replicas : undefined), 180_000);
    expect(replicas).toEqual([expect.objectContaining({ kind: 's3', chunks: rec.chunks }), expect.objectContaining({ kind: 'peer', nodeId: PEER, chunks: rec.chunks })]);
    for (const c of (await manifest(rec.sessionId)).chunks) expect(leafHash(fs.readFileSync(heldFile(c.leaf))).toString('hex')).toBe(c.leaf);
    expect(await metrics()).not.toContain(`lucid_replication_lag_chunks{node="${ORIGIN}"}`);
  });
});
