import * as net from 'node:net';
import { temporal } from '@temporalio/proto';
import type { SampleCluster } from '../../demo/sample-fleet';
import { FleetHarness } from '../support/fleet-harness';
import { until } from '../support/until';

/**
 * Issue 9 item 5: a cluster worker that dies while `git fetch` hangs must not
 * hold its reconcile for the fetch's 2-minute start-to-close timeout. The
 * fetch heartbeats, so the dead worker shows within the heartbeat timeout and
 * the next worker retries it.
 */
const CLUSTER: SampleCluster = { id: 'hb-bc', group: 'blockchain', profiles: ['blockchain'], wave: 'canary' };
/** The fetch's heartbeat timeout in workflows/reconcile-cluster.ts. */
const HEARTBEAT_TIMEOUT_MS = 10_000;
/** Heartbeat timeout + retry interval (1 s) + a new worker's start, with room for a loaded machine; far below 2 minutes. */
const RETRY_WITHIN_MS = 30_000;
let h: FleetHarness;

/** A git daemon that accepts connections and never answers: a clone from it hangs in its first read. */
let silent: net.Server;
const held: net.Socket[] = [];

beforeAll(async () => {
  h = await FleetHarness.start('fetch-heartbeat', [CLUSTER]);
  await h.startControlWorker();
  silent = net.createServer((socket) => void held.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  for (const s of held) s.destroy();
  await new Promise((resolve) => silent?.close(resolve));
  await h?.close();
});

describe('a cluster worker killed in a hanging git fetch', () => {
  it('has its fetch retried by the next worker within the heartbeat timeout, and the reconcile ends healthy', async () => {
    const v1 = await h.commit({ version: 'v1' }, 'v1');
    const { port } = silent.address() as net.AddressInfo;
    const hung = h.spawnWorker('cluster', CLUSTER.id, { LUCID_CONFIG_REPO: `git://127.0.0.1:${port}/config.git` });
    const handle = await h.startReconcile(CLUSTER.id, v1);

    // The worker's clone has connected and waits for an answer that never comes.
    await until('the worker to connect to the silent git daemon', () => held.length > 0);
    // While its worker lives, the fetch heartbeats: past the heartbeat timeout it is still the first attempt.
    await new Promise((r) => setTimeout(r, HEARTBEAT_TIMEOUT_MS + 2000));
    const { raw } = await handle.describe();
    const pending = raw.pendingActivities?.find((a) => a.activityType?.name === 'fetchCommit');
    expect(pending).toMatchObject({ attempt: 1 });
    expect(Date.now() - Number(pending!.lastHeartbeatTime!.seconds) * 1000).toBeLessThan(HEARTBEAT_TIMEOUT_MS);
    expect(held).toHaveLength(1);
    hung.kill('SIGKILL');
    await new Promise((r) => hung.once('exit', r));
    const killedAt = Date.now();
    const next = h.spawnWorker('cluster', CLUSTER.id);

    const result = await handle.result();
    expect(result).toMatchObject({ outcome: 'healthy', appliedCommit: v1 });

    const events = (await handle.fetchHistory()).events ?? [];
    const scheduled = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'fetchCommit');
    expect(scheduled).toHaveLength(1);
    const started = events.find((e) => String(e.activityTaskStartedEventAttributes?.scheduledEventId) === String(scheduled[0]!.eventId))!;
    const attempt = started.activityTaskStartedEventAttributes!;
    // The attempt that succeeded is the retry on the new worker, after the dead one missed its heartbeats.
    expect(attempt.attempt).toBe(2);
    expect(attempt.lastFailure?.timeoutFailureInfo?.timeoutType).toBe(temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_HEARTBEAT);
    const retriedAfterMs = Number(started.eventTime!.seconds) * 1000 + Math.floor(started.eventTime!.nanos! / 1e6) - killedAt;
    expect(retriedAfterMs).toBeGreaterThan(0);
    expect(retriedAfterMs).toBeLessThan(RETRY_WITHIN_MS);
    next.kill('SIGTERM');
  });
});
