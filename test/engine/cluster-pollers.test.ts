import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NativeConnection, type Worker } from '@temporalio/worker';
import Docker from 'dockerode';
import { devServerFlags } from '../../services/stack/fleet-dynamic-config';
import { ManagedProcess } from '../../services/stack/managed-process';
import { toolPaths } from '../../services/stack/tool-paths';
import { createClusterWorker } from '../../workers/cluster';
import { testStack } from '../support/test-stack';
import { until } from '../support/until';

/**
 * The long polls a Pi holds open, counted where the server counts them against `frontend.namespaceCount`: the
 * frontend's service_pending_requests gauge, on a dev server of this suite's own with its metrics on. A fleet is
 * thousands of these workers, so a poll more each is thousands more on the server, and bench:fleet sets the count.
 */
const stack = testStack();
// Beside the run's own servers, above the ports the mTLS suite takes.
const port = stack.temporalPort + 30;
const metricsPort = stack.temporalPort + 31;
/** Not ten, the SDK's default, which it used whatever it was told when told through maxConcurrentActivityTaskPolls. */
const POLLERS = 3;
let dir: string;
let temporal: ManagedProcess;
let connection: NativeConnection | undefined;
const workers: Worker[] = [];
const running: Promise<void>[] = [];

async function pendingActivityPolls(): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('service_pending_requests{') && l.includes('namespace="lucid"') && l.includes('operation="PollActivityTaskQueue"'));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-pollers-'));
  temporal = new ManagedProcess('temporal', dir);
  temporal.start(toolPaths().temporal, [
    'server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--http-port', String(stack.temporalPort + 32),
    '--metrics-port', String(metricsPort), '--namespace', 'lucid', '--log-level', 'error', ...devServerFlags(),
  ]);
  await until('the dev server', async () => {
    connection = await NativeConnection.connect({ address: `127.0.0.1:${port}` }).catch(() => undefined);
    return connection !== undefined;
  });
});

afterAll(async () => {
  for (const w of workers) w.shutdown();
  await Promise.all(running);
  await connection?.close();
  await temporal.stop(5000, 'SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The gauge once it has held still for two seconds: workers add their pollers one after another. */
async function settledPolls(): Promise<number> {
  let last = -1;
  let same = 0;
  for (;;) {
    const now = await pendingActivityPolls();
    same = now === last ? same + 1 : 0;
    if (same === 4) return now;
    last = now;
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function startWorkers(ids: string[]): Promise<void> {
  const docker = new Docker();
  for (const id of ids) {
    const worker = await createClusterWorker({
      connection: connection!, namespace: 'lucid', clusterId: id, repoUrl: dir, dataDir: dir, docker, activityPollers: POLLERS,
    });
    workers.push(worker);
    running.push(worker.run());
  }
}

describe("a cluster worker's long polls", () => {
  it(`holds the ${POLLERS} it is given, not the SDK's default of ten`, async () => {
    // The server's own pollers in the namespace come up beside the first workers: count from a plateau after them.
    await startWorkers(['polls-a']);
    const before = await settledPolls();
    await startWorkers(['polls-b', 'polls-c', 'polls-d']);
    expect((await settledPolls()) - before).toBe(3 * POLLERS);
  }, 60_000);
});
