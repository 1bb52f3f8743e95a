import { spawn } from 'node:child_process';
import { toolPaths } from '../../services/stack/tool-paths';
import { createConsoleServer } from '../../services/webhook/console-server';
import { MIN_PUSH_SECRET_BYTES, pushSecretProblem } from '../../services/webhook/push-signature';
import { testStack } from '../support/test-stack';

const PORT = 18782 + Number(process.env.LUCID_TEST_PORT_OFFSET ?? 0);

interface Run {
  code: number | null;
  stderr: string;
  listening: boolean;
}

/**
 * `lucid serve` against the test stack. Resolves when it exits, or once it
 * answers /healthz (then it is stopped): a refused secret must exit before that.
 */
function serve(secret: string): Promise<Run> {
  const stack = testStack();
  const child = spawn(process.execPath, [toolPaths().lucidCli, 'serve', '--port', String(PORT)], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: stack.temporalAddress,
      MONGO_URL: stack.mongoUrl,
      LUCID_NAMESPACE: stack.namespace,
      LUCID_DB: 'lucid_test_serve_secret',
      LUCID_WEBHOOK_SECRET: secret,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    let listening = false;
    const poll = setInterval(() => {
      void fetch(`http://127.0.0.1:${PORT}/healthz`).then(
        (r) => {
          if (r.ok && !listening) {
            listening = true;
            child.kill('SIGTERM');
          }
        },
        () => undefined,
      );
    }, 200);
    const deadline = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(poll);
      clearTimeout(deadline);
      resolve({ code, stderr, listening });
    });
  });
}

describe('LUCID_WEBHOOK_SECRET strength', () => {
  it.each([
    ['one character', 'x', 1],
    ['31 bytes', 'a'.repeat(31), 31],
    ['15 two-byte characters (30 bytes)', 'é'.repeat(15), 30],
  ])('lucid serve refuses %s at start: exit 2, saying why and how to make one', async (_name, secret, bytes) => {
    const run = await serve(secret);
    expect(run.listening).toBe(false);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`LUCID_WEBHOOK_SECRET: webhook secret is ${bytes} bytes, under the minimum of 32`);
    expect(run.stderr).toContain('guessed offline');
    expect(run.stderr).toContain('openssl rand -hex 32');
  });

  it('lucid serve starts with a 32-byte secret', async () => {
    const run = await serve('s'.repeat(32));
    expect(run.stderr).not.toContain('webhook secret');
    expect(run.listening).toBe(true);
  });

  it('counts bytes, not characters, and the server refuses what the CLI refuses', () => {
    expect(MIN_PUSH_SECRET_BYTES).toBe(32);
    expect(pushSecretProblem('é'.repeat(16))).toBeUndefined();
    expect(pushSecretProblem('a'.repeat(32))).toBeUndefined();
    expect(pushSecretProblem('a'.repeat(31))).toMatch(/is 31 bytes/);
    const onPush = async () => ({ workflowId: 'w', started: true });
    expect(() => createConsoleServer({ secret: 'a'.repeat(31), branch: 'main', onPush })).toThrow(/under the minimum of 32/);
    expect(() => createConsoleServer({ secret: 'a'.repeat(32), branch: 'main', onPush })).not.toThrow();
  });
});
