import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SessionJournal } from '../../sessions/session-journal';
import { nodeStorePaths } from '../../sessions/node-store-paths';
import { ffmpegArgs } from '../../sessions/recorder';
import type { SessionManifest, SessionResult } from '../../workflows/session-types';
import type { session } from '../../workflows';
import { CONTROL_QUEUE, nodeQueue, sessionWorkflowId } from '../../workflows/task-queues';
import { FleetHarness } from '../support/fleet-harness';
import { eventually } from '../anchoring/anchor-fixtures';

let h: FleetHarness;
let work: string;

const XVFB = { LUCID_RECORD_INPUT: 'xvfb:320x240@10', LUCID_CHUNK_BYTES: String(64 * 1024) };

async function record(node: string, seconds: number): Promise<SessionResult> {
  const out = await h.cli(['session', 'record', '--node', node, '--seconds', String(seconds), '--json']);
  if (out.code !== 0) throw new Error(`session record exited ${out.code}: ${out.stderr}`);
  return JSON.parse(out.stdout) as SessionResult;
}

async function manifest(sessionId: string): Promise<SessionManifest> {
  return (await h.db.collection<SessionManifest>('sessions').findOne({ sessionId }))!;
}

function probe(file: string): { streams: Array<{ codec_type: string; codec_name: string }>; format: { duration: string } } {
  return JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_format', file]).toString());
}

beforeAll(async () => {
  // A recorded session is anchored in a batch closed a second after it arrives.
  process.env.LUCID_ANCHOR_MAX_WAIT_SECONDS = '1';
  h = await FleetHarness.start('sessions', []);
  work = path.join(h.dataDir, 'work');
  fs.mkdirSync(work, { recursive: true });
  await h.startControlWorker();
  await h.startChainWorker();
  await h.startNodeWorker('n-xvfb', XVFB);
});
afterAll(async () => {
  delete process.env.LUCID_ANCHOR_MAX_WAIT_SECONDS;
  await h?.close();
});

describe('session recording on a node worker', () => {
  let recorded: SessionResult;

  it('records a few seconds of Xvfb through FFmpeg, and the export is the same media', async () => {
    recorded = await record('n-xvfb', 3);
    expect(recorded.chunks).toBeGreaterThan(0);
    const m = await manifest(recorded.sessionId);
    expect(m).toMatchObject({ nodeId: 'n-xvfb', root: recorded.root, bytes: recorded.bytes, cancelled: false });
    expect(m.codec).toMatchObject({ chunkBytes: 64 * 1024, compression: 'zstd', cipher: 'xchacha20poly1305-ietf', merkle: 'rfc6962-blake3' });
    expect(m.chunks.map((c) => c.index)).toEqual(m.chunks.map((_, i) => i));
    expect(m.chunks.slice(0, -1).every((c) => c.size === 64 * 1024)).toBe(true);

    const list = await h.cli(['session', 'list', '--json']);
    expect(JSON.parse(list.stdout)).toContainEqual(expect.objectContaining({ sessionId: recorded.sessionId, chunks: recorded.chunks }));
    const verify = await h.cli(['session', 'verify', recorded.sessionId, '--json']);
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, rootMatches: true, chunks: recorded.chunks });
    expect(verify.stderr).toMatch(/verify 100%/);

    const file = path.join(work, 'xvfb.ts');
    const exported = await h.cli(['session', 'export', recorded.sessionId, '-o', file]);
    expect(exported.code).toBe(0);
    expect(fs.statSync(file).size).toBe(recorded.bytes);
    const info = probe(file);
    expect(info.streams.map((s) => `${s.codec_type}/${s.codec_name}`)).toEqual(['video/h264']);
    expect(Number(info.format.duration)).toBeGreaterThan(2);
    expect(Number(info.format.duration)).toBeLessThan(4);
  });

  it('the recorded session is queued, anchored, and session verify --anchored checks it against the chain', async () => {
    const anchored = await eventually('the session anchored', async () => (await manifest(recorded.sessionId)).anchored);
    expect(anchored.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    const verify = await h.cli(['session', 'verify', recorded.sessionId, '--anchored']);
    expect(verify.code).toBe(0);
    expect(verify.stderr).toMatch(new RegExp(`anchored in batch ${anchored.batchId} \\(tx ${anchored.txHash}, block ${anchored.blockNumber}\\), checked against the chain`));
    const list = JSON.parse((await h.cli(['session', 'list', '--json'])).stdout) as Array<{ sessionId: string; anchored?: unknown }>;
    expect(list.find((r) => r.sessionId === recorded.sessionId)?.anchored).toEqual(anchored);
  });

  it('a record on a node no worker serves fails at once, naming the nodes that have a worker (after a recording made n-xvfb known)', async () => {
    const started = Date.now();
    const r = await h.cli(['session', 'record', '--node', '1', '--seconds', '3']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no worker serves node '1' \(task queue node-1\); nodes with a worker now: n-xvfb/);
    expect(Date.now() - started).toBeLessThan(15_000);
    let started1 = false;
    for await (const _ of h.client.workflow.list({ query: `WorkflowType = 'session' AND ExecutionStatus = 'Running'` })) started1 = true;
    expect(started1).toBe(false);
  });

  it("an export's bytes equal the recorder's raw output", async () => {
    const source = path.join(work, 'source.ts');
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=10:duration=2', '-c:v', 'libx264', '-preset', 'ultrafast', '-f', 'mpegts', source]);
    const vars = { LUCID_RECORD_INPUT: `url:${source}`, LUCID_RECORD_ENCODER: 'copy', LUCID_CHUNK_BYTES: String(64 * 1024) };
    await h.startNodeWorker('n-copy', vars);
    const result = await record('n-copy', 30);
    // The recorder's own command line, run by hand: what FFmpeg writes for this input.
    const raw = execFileSync('ffmpeg', ffmpegArgs({ kind: 'ffmpeg', url: source }, 'copy', 30), { maxBuffer: 64 * 1024 * 1024 });
    const file = path.join(work, 'copy.ts');
    expect((await h.cli(['session', 'export', result.sessionId, '-o', file])).code).toBe(0);
    expect(fs.readFileSync(file).equals(raw)).toBe(true);
    expect(probe(file).streams).toEqual(probe(source).streams);
  });

  it('kill -9 of the node worker mid-recording: the session completes after a restart, contiguous, nothing lost or repeated', async () => {
    const vars = { LUCID_RECORD_INPUT: 'lavfi:testsrc2=size=640x360:rate=25', LUCID_CHUNK_BYTES: String(64 * 1024) };
    let worker = h.spawnWorker('node', 'n-kill', vars);
    await h.untilServed(nodeQueue('n-kill'));
    const started = h.cli(['session', 'record', '--node', 'n-kill', '--seconds', '20', '--json']);
    const journalDir = nodeStorePaths(h.dataDir, 'n-kill').journalDir;
    const before = await until(() => {
      const file = fs.existsSync(journalDir) ? fs.readdirSync(journalDir).find((f) => f.endsWith('.jsonl')) : undefined;
      const records = file ? new SessionJournal(journalDir, file.replace('.jsonl', '')).read() : [];
      return records.length >= 3 ? { id: file!.replace('.jsonl', ''), records } : undefined;
    });
    worker.kill('SIGKILL');
    await new Promise((r) => worker.once('exit', r));
    await new Promise((r) => setTimeout(r, 2000));
    worker = h.spawnWorker('node', 'n-kill', vars);

    const out = await started;
    expect(out.code).toBe(0);
    const result = JSON.parse(out.stdout) as SessionResult;
    expect(result.sessionId).toBe(before.id);
    const m = await manifest(result.sessionId);
    expect(m.chunks.map((c) => c.index)).toEqual(m.chunks.map((_, i) => i));
    // Every chunk stored before the kill is in the manifest unchanged, and recording went on after it.
    expect(m.chunks.slice(0, before.records.length)).toEqual(before.records);
    expect(m.chunks.length).toBeGreaterThan(before.records.length + 2);
    expect(new Set(m.chunks.map((c) => c.nonce)).size).toBe(m.chunks.length);

    const history = await h.client.workflow.getHandle(`session-${result.sessionId}`).fetchHistory();
    const attempts = history.events!
      .filter((e) => e.activityTaskStartedEventAttributes)
      .map((e) => e.activityTaskStartedEventAttributes!.attempt ?? 0);
    expect(Math.max(...attempts)).toBeGreaterThanOrEqual(2);
    expect((await h.cli(['session', 'verify', result.sessionId])).code).toBe(0);
    worker.kill('SIGTERM');
  });

  it('a cancelled session stops FFmpeg cleanly and keeps what it recorded', async () => {
    const sessionId = `cancel-${Date.now()}`;
    const handle = await h.client.workflow.start<typeof session>('session', {
      taskQueue: CONTROL_QUEUE,
      workflowId: sessionWorkflowId(sessionId),
      args: [{ sessionId, nodeId: 'n-xvfb', seconds: 120 }],
    });
    const journal = new SessionJournal(nodeStorePaths(h.dataDir, 'n-xvfb').journalDir, sessionId);
    await until(() => (journal.read().length >= 1 ? true : undefined));
    const t = Date.now();
    await handle.cancel();
    const result = await handle.result();
    expect(Date.now() - t).toBeLessThan(15_000);
    const m = await manifest(sessionId);
    expect(m).toMatchObject({ cancelled: true, root: result.root });
    expect(m.chunks.length).toBe(result.chunks);
    expect((await h.cli(['session', 'verify', sessionId])).code).toBe(0);
  });

  it('one flipped byte in a stored chunk: verify names the chunk, an incident is recorded, export refuses', async () => {
    const m = await manifest(recorded.sessionId);
    const victim = m.chunks[Math.floor(m.chunks.length / 2)]!;
    const file = path.join(nodeStorePaths(h.dataDir, 'n-xvfb').store, victim.leaf.slice(0, 2), victim.leaf);
    const bytes = fs.readFileSync(file);
    bytes[Math.floor(bytes.length / 2)] ^= 0x01;
    fs.writeFileSync(file, bytes);

    const verify = await h.cli(['session', 'verify', recorded.sessionId, '--json']);
    expect(verify.code).toBe(5);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: false, firstBad: { index: victim.index, kind: 'aead-failure' } });
    expect(verify.stderr).toMatch(new RegExp(`chunk ${victim.index} .*AEAD check failed`));
    const incidents = await h.db.collection('incidents').find({ sessionId: recorded.sessionId }).toArray();
    expect(incidents).toContainEqual(expect.objectContaining({ chunkIndex: victim.index, leaf: victim.leaf, kind: 'aead-failure', nodeId: 'n-xvfb' }));

    const out = path.join(work, 'refused.ts');
    const exported = await h.cli(['session', 'export', recorded.sessionId, '-o', out]);
    expect(exported.code).toBe(5);
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.readdirSync(work).filter((f) => f.includes('refused'))).toEqual([]);
  });
});

async function until<T>(probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}
