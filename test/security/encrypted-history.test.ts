import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { payloadKeys } from '../../config/payload-keys';
import type { SampleCluster } from '../../demo/sample-fleet';
import { toolPaths } from '../../services/stack/tool-paths';
import { EncryptionCodec } from '../../workers/payload-codec';
import { CONTROL_QUEUE } from '../../workflows/task-queues';
import { FleetHarness } from '../support/fleet-harness';
import { TEST_PAYLOAD_KEYS, testKeys } from '../support/test-payload-keys';

const CLUSTER: SampleCluster = { id: 'en-a', group: 'blockchain', profiles: ['blockchain'], wave: 'canary' };
const MARKER = `operator-${randomBytes(8).toString('hex')}`;
const PORT = 18781 + Number(process.env.LUCID_TEST_PORT_OFFSET ?? 0);
const TOKEN = `codec-${randomBytes(8).toString('hex')}`;
let h: FleetHarness;
let server: ChildProcess;

/** Whether the Temporal server's SQLite files (database and WAL) contain `needle` anywhere. */
function inTemporalDb(needle: string): boolean {
  try {
    execFileSync('grep', ['-rlaF', needle, path.join(h.stack.dataDir, 'temporal')]);
    return true;
  } catch {
    return false;
  }
}

describe('EncryptionCodec', () => {
  const payload = defaultPayloadConverter.toPayload({ secret: 'hunter2' });

  it('round-trips, with the key id in the metadata and no plaintext in the data', async () => {
    const codec = new EncryptionCodec(testKeys());
    const [enc] = await codec.encode([payload]);
    expect(Buffer.from(enc!.metadata!['encryption-key-id']!).toString()).toBe('test-2026-11');
    expect(Buffer.from(enc!.data!).toString('latin1')).not.toContain('hunter2');
    const [dec] = await codec.decode([enc!]);
    expect(defaultPayloadConverter.fromPayload(dec!)).toEqual({ secret: 'hunter2' });
  });

  it('after a rotation, payloads under the old key still decrypt; a process without the key refuses clearly', async () => {
    const [oldKey, newKey] = [testKeys()[1]!, testKeys()[0]!];
    const [underOld] = await new EncryptionCodec([oldKey]).encode([payload]);
    expect(defaultPayloadConverter.fromPayload((await new EncryptionCodec([newKey, oldKey]).decode([underOld!]))[0]!)).toEqual({ secret: 'hunter2' });
    await expect(new EncryptionCodec([newKey]).decode([underOld!])).rejects.toThrow(/key 'test-2026-10', which this process does not hold/);
  });

  it('refuses a flipped byte and a payload relabelled with another key id', async () => {
    const codec = new EncryptionCodec(testKeys());
    const [enc] = await codec.encode([payload]);
    const flipped = { ...enc!, data: Buffer.from(enc!.data!).map((b, i) => (i === 30 ? b ^ 1 : b)) };
    await expect(codec.decode([flipped])).rejects.toThrow(/failed authentication/);
    const relabelled = { ...enc!, metadata: { ...enc!.metadata, 'encryption-key-id': Buffer.from('test-2026-10') } };
    await expect(codec.decode([relabelled])).rejects.toThrow(/failed authentication/);
  });

  it('rejects malformed key configuration naming the variable', () => {
    expect(() => payloadKeys({ LUCID_PAYLOAD_KEYS: 'k1:short' })).toThrow(/LUCID_PAYLOAD_KEYS: entry 1/);
  });
});

describe('encrypted workflow history on the real server', () => {
  beforeAll(async () => {
    h = await FleetHarness.start('encrypted', [CLUSTER], { payloadKeys: TEST_PAYLOAD_KEYS });
    await h.startControlWorker();
    await h.startClusterWorker(CLUSTER.id);
    server = spawn(process.execPath, [toolPaths().lucidCli, 'serve', '--port', String(PORT)], {
      env: { ...h.env, LUCID_WEBHOOK_SECRET: 'unused-here-but-32-bytes-or-longer', LUCID_CODEC_TOKEN: TOKEN },
      stdio: 'ignore',
    });
    for (let i = 0; i < 100; i++) {
      if (await fetch(`http://127.0.0.1:${PORT}/healthz`).then((r) => r.ok, () => false)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  afterAll(async () => {
    server?.kill('SIGTERM');
    await h?.close();
  });

  let sha: string;

  it('a rollout whose inputs name the operator leaves no trace of the name in the server database', async () => {
    sha = await h.commit({ version: 'v1' }, 'encrypted rollout');
    const status = await h.rollout(sha, { source: 'cli', by: MARKER });
    expect(status).toMatchObject({ state: 'succeeded', trigger: { by: MARKER } });
    expect(inTemporalDb(MARKER)).toBe(false);

    // The same check finds a value a client without the codec sent in clear.
    const plain = new Client({ connection: h.client.connection, namespace: h.stack.namespace });
    const clearMarker = `${MARKER}-in-clear`;
    const handle = await plain.workflow.start('rollout', { taskQueue: CONTROL_QUEUE, workflowId: `rollout-plain-${MARKER}`, args: [{ commit: 'no-such-commit', trigger: { source: 'cli', by: clearMarker } }] });
    await h.client.workflow.getHandle(handle.workflowId).result().catch(() => undefined);
    expect(inTemporalDb(clearMarker)).toBe(true);
  });

  it('lucid rollout history decodes with the keys and fails clearly without them', async () => {
    const ok = await h.cli(['rollout', 'history', sha]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`trigger cli by ${MARKER}`);
    const { LUCID_PAYLOAD_KEYS: _k, ...withoutKeys } = h.env;
    const child = spawn(process.execPath, [toolPaths().lucidCli, 'rollout', 'history', sha], { env: withoutKeys });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise((r) => child.on('close', r));
    expect(code).not.toBe(0);
    expect(out).toMatch(/binary\/encrypted/);
    expect(out).not.toContain(MARKER);
  });

  it('the codec endpoint decodes history for a holder of the token, and refuses without it', async () => {
    const history = await h.client.workflow.getHandle(`rollout-${sha}`).fetchHistory();
    const input = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
    const body = JSON.stringify({
      payloads: [
        {
          metadata: Object.fromEntries(Object.entries(input.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
          data: Buffer.from(input.data!).toString('base64'),
        },
      ],
    });
    const url = `http://127.0.0.1:${PORT}/codec/decode`;
    expect((await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } })).status).toBe(401);
    const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:8233');
    const decoded = (await res.json()) as { payloads: Array<{ data: string }> };
    expect(Buffer.from(decoded.payloads[0]!.data, 'base64').toString()).toContain(MARKER);
    const preflight = await fetch(url, { method: 'OPTIONS' });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
  });
});

