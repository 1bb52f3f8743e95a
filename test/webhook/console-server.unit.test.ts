import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createConsoleServer, type ConsoleServerOptions } from '../../services/webhook/console-server';
import type { PushEvent } from '../../services/webhook/push-event';
import { GITHUB_PUSH, SECRET, editedFixture, fixture, giteaHeaders, githubHeaders, hmacHex } from './push-delivery';

const METRICS = '# TYPE lucid_reconciles_total counter\nlucid_reconciles_total{outcome="healthy"} 3\n';
const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

/** What the server passed to onPush, and what onPush does next. */
let pushes: PushEvent[] = [];
let onPushResult: () => Promise<{ workflowId: string; started: boolean }>;

/** The request log lines the server wrote to stderr, parsed. */
let logLines: Array<Record<string, unknown>> = [];

interface Running {
  url: string;
  close: () => Promise<void>;
}

async function start(overrides: Partial<ConsoleServerOptions> = {}): Promise<Running> {
  const server = createConsoleServer({
    secret: SECRET,
    branch: 'main',
    onPush: async (push) => {
      pushes.push(push);
      return onPushResult();
    },
    metrics: async () => ({ contentType: PROMETHEUS_TEXT, body: METRICS }),
    ...overrides,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

let consoleServer: Running;
let stderrSpy: jest.SpyInstance;

beforeAll(async () => {
  consoleServer = await start();
});
afterAll(() => consoleServer.close());

beforeEach(() => {
  pushes = [];
  logLines = [];
  onPushResult = async () => ({ workflowId: `reconcile-fleet-${pushes.at(-1)!.after}`, started: true });
  const write = process.stderr.write.bind(process.stderr);
  // Keeps the server's request log for assertions and out of the test output; jest's own writes pass through.
  stderrSpy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = chunk.toString();
    if (!text.startsWith('{"method"')) return write(chunk, ...(rest as []));
    logLines.push(JSON.parse(text) as Record<string, unknown>);
    return true;
  });
});
afterEach(() => stderrSpy.mockRestore());

async function postHook(body: Buffer, headers: Record<string, string>, base = consoleServer.url): Promise<Response> {
  return fetch(`${base}/hooks/git`, { method: 'POST', headers, body });
}

async function expectJson(res: Response, status: number, body: unknown): Promise<void> {
  expect({ status: res.status, body: await res.json() }).toEqual({ status, body });
  expect(res.headers.get('content-type')).toBe('application/json');
}

/** The log line is written when the response closes, which can be just after the client has it. */
async function logLineFor(path: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 100; i++) {
    const line = logLines.find((l) => l.path === path);
    if (line) return line;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no log line for ${path}; got ${JSON.stringify(logLines)}`);
}

describe('POST /hooks/git: pushes that start a rollout', () => {
  it('starts a rollout for a signed GitHub push to the followed branch', async () => {
    const body = fixture('github-push');
    const res = await postHook(body, githubHeaders(body));
    await expectJson(res, 202, { workflowId: 'reconcile-fleet-3e7b1d9a5c2f8e4b6a0d3c7f1e9b5a2d8c4f6e0a', started: true });
    expect(pushes).toEqual([GITHUB_PUSH]);
  });

  it('starts a rollout for a signed Gitea push', async () => {
    const body = fixture('gitea-push');
    const res = await postHook(body, giteaHeaders(body));
    await expectJson(res, 202, { workflowId: 'reconcile-fleet-c81f4b7e2a9d5c0f3b6e8a1d4c7f0b3e6a9d2c5f', started: true });
    expect(pushes).toHaveLength(1);
    expect(pushes[0]).toMatchObject({ provider: 'gitea', branch: 'main', pusher: 'jmatos', repository: 'lucid-ops/fleet-config' });
  });

  it('answers started: false when onPush found the rollout already running (a redelivery)', async () => {
    onPushResult = async () => ({ workflowId: 'reconcile-fleet-3e7b1d9', started: false });
    const body = fixture('github-push');
    await expectJson(await postHook(body, githubHeaders(body)), 202, { workflowId: 'reconcile-fleet-3e7b1d9', started: false });
  });

  it('answers 500 with the message when onPush fails, and logs it', async () => {
    onPushResult = async () => {
      throw new Error('temporal: connection refused 127.0.0.1:7233');
    };
    const body = fixture('github-push');
    await expectJson(await postHook(body, githubHeaders(body)), 500, { error: 'temporal: connection refused 127.0.0.1:7233' });
    expect(await logLineFor('/hooks/git')).toMatchObject({ status: 500, error: 'temporal: connection refused 127.0.0.1:7233' });
  });
});

describe('POST /hooks/git: signatures are checked before anything else', () => {
  const body = fixture('github-push');
  const unauthorized = { error: 'webhook signature is missing or does not match the body' };

  it('rejects a signature made with another secret', async () => {
    await expectJson(await postHook(body, githubHeaders(body, 'push', 'guessed-secret')), 401, unauthorized);
    expect(pushes).toEqual([]);
  });

  it('rejects a push without a signature', async () => {
    const { 'x-hub-signature-256': _, ...unsigned } = githubHeaders(body);
    await expectJson(await postHook(body, unsigned), 401, unauthorized);
    expect(pushes).toEqual([]);
  });

  it('rejects a valid signature of a different body', async () => {
    const other = fixture('gitea-push');
    const headers = { ...githubHeaders(body), 'x-hub-signature-256': `sha256=${hmacHex(other)}` };
    await expectJson(await postHook(body, headers), 401, unauthorized);
    expect(pushes).toEqual([]);
  });

  it('rejects a body changed after it was signed', async () => {
    // Same length and still valid: the push now points the fleet at a commit the pusher never made.
    const tampered = Buffer.from(body.toString('utf8').replace('"after": "3e7b1d9a', '"after": "0badc0de'));
    expect(tampered.equals(body)).toBe(false);
    await expectJson(await postHook(tampered, githubHeaders(body)), 401, unauthorized);
    expect(pushes).toEqual([]);
  });

  it('rejects an unsigned ping and an unsigned malformed body alike', async () => {
    const ping = fixture('github-ping');
    const { 'x-hub-signature-256': _, ...unsigned } = githubHeaders(ping, 'ping');
    await expectJson(await postHook(ping, unsigned), 401, unauthorized);
    await expectJson(await postHook(Buffer.from('{not json'), { 'x-github-event': 'push' }), 401, unauthorized);
  });
});

describe('POST /hooks/git: deliveries acknowledged without a rollout', () => {
  it('ignores a push to another branch', async () => {
    const body = editedFixture('github-push', (p) => (p.ref = 'refs/heads/feature/wave-tuning'));
    await expectJson(await postHook(body, githubHeaders(body)), 202, {
      ignored: "push to branch 'feature/wave-tuning'; the console follows 'main'",
    });
    expect(pushes).toEqual([]);
  });

  it('ignores the deletion of the followed branch', async () => {
    const body = fixture('github-branch-deleted');
    await expectJson(await postHook(body, githubHeaders(body)), 202, { ignored: "branch 'main' was deleted" });
    expect(pushes).toEqual([]);
  });

  it('ignores a tag push', async () => {
    const body = editedFixture('gitea-push', (p) => (p.ref = 'refs/tags/v2024.11.19'));
    await expectJson(await postHook(body, giteaHeaders(body)), 202, { ignored: "ref 'refs/tags/v2024.11.19' is not a branch" });
    expect(pushes).toEqual([]);
  });

  it('ignores signed events that are not pushes', async () => {
    const body = Buffer.from(JSON.stringify({ action: 'opened', number: 12 }));
    await expectJson(await postHook(body, githubHeaders(body, 'issues')), 202, { ignored: "event 'issues' is not a push" });
    expect(pushes).toEqual([]);
  });

  it("answers GitHub's ping", async () => {
    const body = fixture('github-ping');
    await expectJson(await postHook(body, githubHeaders(body, 'ping')), 200, { ok: true });
    expect(pushes).toEqual([]);
  });
});

describe('POST /hooks/git: signed but unreadable deliveries', () => {
  it('rejects malformed JSON naming the body', async () => {
    const body = Buffer.from('{"ref": "refs/heads/main", "after": ');
    const res = await postHook(body, githubHeaders(body));
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { field: string; reason: string } };
    expect(error.field).toBe('(body)');
    expect(error.reason).toMatch(/^not valid JSON: /);
    expect(pushes).toEqual([]);
  });

  it('rejects a bad field naming it', async () => {
    const body = editedFixture('gitea-push', (p) => (p.after = 'c81f4b7'));
    await expectJson(await postHook(body, giteaHeaders(body)), 400, {
      error: { field: 'after', reason: 'must be a 40-character lowercase hex commit sha' },
    });
    expect(pushes).toEqual([]);
  });

  it.each(['--output=/tmp/lucid-hook-injection', '-c core.pager=touch /tmp/lucid-hook-injection', '--upload-pack=touch /tmp/lucid-hook-injection'])(
    'refuses an option-shaped after (%s) and passes nothing on',
    async (after) => {
      const body = editedFixture('github-push', (p) => (p.after = after));
      await expectJson(await postHook(body, githubHeaders(body)), 400, {
        error: { field: 'after', reason: 'must be a 40-character lowercase hex commit sha' },
      });
      expect(pushes).toEqual([]);
    },
  );

  it('rejects a delivery that names no event', async () => {
    const body = fixture('github-push');
    const { 'x-github-event': _, ...headers } = githubHeaders(body);
    const res = await postHook(body, headers);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { field: string } }).error.field).toBe('X-GitHub-Event');
  });
});

describe('POST /hooks/git: body size limit', () => {
  const tooLarge = { error: 'request body exceeds 1048576 bytes' };

  it('accepts a body of exactly 1 MiB as far as the signature check', async () => {
    const body = Buffer.alloc(1024 * 1024, ' ');
    await expectJson(await postHook(body, { 'x-github-event': 'push', 'x-hub-signature-256': 'sha256=00' }), 401, {
      error: 'webhook signature is missing or does not match the body',
    });
  });

  it('answers 413 to a declared length over 1 MiB, signature or not', async () => {
    const body = Buffer.alloc(1024 * 1024 + 1, ' ');
    await expectJson(await postHook(body, githubHeaders(body)), 413, tooLarge);
    expect(pushes).toEqual([]);
  });

  it('answers 413 to a chunked upload once it passes 1 MiB', async () => {
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${consoleServer.url}/hooks/git`, { method: 'POST', headers: { 'x-github-event': 'push' } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, body: text }));
      });
      // The server stops reading once it has answered, so the rest of the upload may fail to send.
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') reject(err);
      });
      const chunk = Buffer.alloc(64 * 1024, ' ');
      let sent = 0;
      const pump = (): void => {
        while (sent < 4 * 1024 * 1024) {
          sent += chunk.length;
          if (!req.write(chunk)) {
            req.once('drain', pump);
            return;
          }
        }
        req.end();
      };
      pump();
    });
    expect(status).toBe(413);
    expect(JSON.parse(body)).toEqual(tooLarge);
    expect(pushes).toEqual([]);
  });
});

describe('other routes', () => {
  it('serves metrics as metrics() renders them', async () => {
    const res = await fetch(`${consoleServer.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(PROMETHEUS_TEXT);
    expect(await res.text()).toBe(METRICS);
  });

  it('has no /metrics without a metrics function', async () => {
    const bare = await start({ metrics: undefined });
    try {
      await expectJson(await fetch(`${bare.url}/metrics`), 404, { error: 'no route for /metrics' });
    } finally {
      await bare.close();
    }
  });

  it('answers 500 when metrics() fails', async () => {
    const failing = await start({
      metrics: async () => {
        throw new Error('mongo: server selection timed out');
      },
    });
    try {
      await expectJson(await fetch(`${failing.url}/metrics`), 500, { error: 'mongo: server selection timed out' });
    } finally {
      await failing.close();
    }
  });

  it('answers /healthz', async () => {
    await expectJson(await fetch(`${consoleServer.url}/healthz`), 200, { ok: true });
  });

  it('ignores the query string when routing', async () => {
    await expectJson(await fetch(`${consoleServer.url}/healthz?probe=kubelet`), 200, { ok: true });
  });

  it('answers 404 to unknown paths', async () => {
    await expectJson(await fetch(`${consoleServer.url}/hooks/gitlab`, { method: 'POST', body: '{}' }), 404, {
      error: 'no route for /hooks/gitlab',
    });
    await expectJson(await fetch(`${consoleServer.url}/`), 404, { error: 'no route for /' });
  });

  it('answers 405 with Allow to the wrong method', async () => {
    const get = await fetch(`${consoleServer.url}/hooks/git`);
    expect(get.headers.get('allow')).toBe('POST');
    await expectJson(get, 405, { error: '/hooks/git accepts POST only' });
    const post = await fetch(`${consoleServer.url}/healthz`, { method: 'POST', body: '' });
    expect(post.headers.get('allow')).toBe('GET');
    await expectJson(post, 405, { error: '/healthz accepts GET only' });
  });
});

describe('request log', () => {
  it('writes one JSON line per request with method, path, status and duration', async () => {
    const body = fixture('github-push');
    await (await postHook(body, githubHeaders(body))).text();
    const line = await logLineFor('/hooks/git');
    expect(Object.keys(line).sort()).toEqual(['method', 'ms', 'path', 'status']);
    expect(line).toMatchObject({ method: 'POST', path: '/hooks/git', status: 202 });
    expect(typeof line.ms).toBe('number');
    expect(logLines).toHaveLength(1);
  });

  it('never logs the body, the secret or the query string', async () => {
    const body = fixture('github-push');
    await (await fetch(`${consoleServer.url}/hooks/git?token=s3cr3t-in-url`, { method: 'POST', headers: githubHeaders(body), body })).text();
    const raw = JSON.stringify(await logLineFor('/hooks/git'));
    for (const leak of [SECRET, 's3cr3t-in-url', 'ana-ferreira', '3e7b1d9a5c2f', hmacHex(body)]) expect(raw).not.toContain(leak);
  });
});

describe('createConsoleServer: configuration', () => {
  const onPush = async () => ({ workflowId: 'w', started: true });

  it('refuses an empty secret instead of accepting anything signed with it', () => {
    expect(() => createConsoleServer({ secret: '', branch: 'main', onPush })).toThrow(/webhook secret is empty/);
  });

  it('refuses an empty branch or a full ref', () => {
    expect(() => createConsoleServer({ secret: SECRET, branch: '', onPush })).toThrow(/must be a branch name/);
    expect(() => createConsoleServer({ secret: SECRET, branch: 'refs/heads/main', onPush })).toThrow(/must be a branch name/);
  });
});
