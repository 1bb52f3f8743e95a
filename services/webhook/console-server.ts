import * as http from 'node:http';
import { performance } from 'node:perf_hooks';
import { corsHeaders, handleCodec, type CodecEndpointOptions } from './codec-routes';
import { PushEventError, parsePushEvent, webhookEvent, type PushEvent } from './push-event';
import { assertPushSecret, verifyPushSignature } from './push-signature';
import type { ConsoleHandler } from '../console/console-app';
import { BodyTooLargeError, json, readBody, type Reply } from './http-reply';

export interface ConsoleServerOptions {
  /** Shared with the git server's webhook; never logged. */
  secret: string;
  /** The config repo branch the fleet follows; pushes to other branches are acknowledged and ignored. */
  branch: string;
  /** Starts (or finds, when the commit was already pushed) the rollout of a push. */
  onPush: (push: PushEvent) => Promise<{ workflowId: string; started: boolean }>;
  metrics?: () => Promise<{ contentType: string; body: string }>;
  /** Serves `/codec/encode` and `/codec/decode` for the Temporal UI and CLI when payloads are encrypted. */
  codec?: CodecEndpointOptions;
  /** The operators' console (pages at `/`, JSON under `/api/`): every path the routes above do not take. */
  app?: ConsoleHandler;
}

/** Bounds what anyone can make the console buffer before the signature is checked; pushes are KiBs per commit. */
const MAX_BODY_BYTES = 1024 * 1024;

interface Route {
  method: 'GET' | 'POST';
  handle: (req: http.IncomingMessage) => Promise<Reply>;
}

/** The console's HTTP side: the git push webhook, metrics, a health check and the operators' console. Not listening yet. */
export function createConsoleServer(opts: ConsoleServerOptions): http.Server {
  assertPushSecret(opts.secret);
  if (opts.branch === '' || opts.branch.startsWith('refs/')) {
    throw new Error(`console branch '${opts.branch}' must be a branch name such as 'main', not empty or a full ref`);
  }
  const { metrics } = opts;
  const routes = new Map<string, Route>([
    ['/hooks/git', { method: 'POST', handle: (req) => handlePush(req, opts) }],
    ['/healthz', { method: 'GET', handle: async () => json(200, { ok: true }) }],
  ]);
  const { codec } = opts;
  if (codec) {
    for (const direction of ['encode', 'decode'] as const) {
      routes.set(`/codec/${direction}`, {
        method: 'POST',
        handle: async (req) => {
          const r = await handleCodec(direction, req, await readBody(req, MAX_BODY_BYTES), codec);
          return { ...json(r.status, r.body), headers: corsHeaders(codec) };
        },
      });
    }
  }
  if (metrics) {
    routes.set('/metrics', {
      method: 'GET',
      handle: async () => {
        const m = await metrics();
        return { status: 200, contentType: m.contentType, body: m.body };
      },
    });
  }

  return http.createServer((req, res) => {
    const started = performance.now();
    // Only the path: a query string may carry tokens a proxy or a misconfigured hook added.
    const path = (req.url ?? '/').split('?', 1)[0]!;
    let failure: string | undefined;
    res.once('close', () => {
      const line = {
        method: req.method,
        path,
        // A client that hangs up before the answer was never sent one; statusCode would still say 200.
        status: res.headersSent ? res.statusCode : null,
        ms: Math.round((performance.now() - started) * 10) / 10,
        ...(res.writableFinished ? {} : { aborted: true }),
        ...(failure === undefined ? {} : { error: failure }),
      };
      process.stderr.write(`${JSON.stringify(line)}\n`);
    });

    const route = routes.get(path);
    let reply: Promise<Reply>;
    if (codec && route && req.method === 'OPTIONS' && path.startsWith('/codec/')) {
      // The browser's CORS preflight before the UI's POST.
      reply = Promise.resolve({ status: 204, contentType: 'text/plain', body: '', headers: corsHeaders(codec) });
    } else if (!route) {
      const notFound = json(404, { error: `no route for ${path}` });
      reply = opts.app ? opts.app(req, path).then((r) => r ?? notFound) : Promise.resolve(notFound);
    }
    else if (req.method !== route.method) {
      const wrongMethod = json(405, { error: `${path} accepts ${route.method} only` });
      reply = Promise.resolve({ ...wrongMethod, headers: { allow: route.method } });
    } else reply = route.handle(req);
    reply
      .catch((err: unknown): Reply => {
        if (err instanceof BodyTooLargeError) {
          // Closing stops reading the rest of the upload; clients still get the 413 first.
          return { ...json(413, { error: err.message }), headers: { connection: 'close' } };
        }
        failure = err instanceof Error ? err.message : String(err);
        return json(500, { error: failure });
      })
      .then((r) => {
        res.writeHead(r.status, { 'content-type': r.contentType, ...r.headers });
        res.end(r.body);
      })
      // A reply Node refuses to write (say a bad content type from metrics()) must not become an
      // unhandled rejection, which would end the process.
      .catch((err: unknown) => {
        failure = err instanceof Error ? err.message : String(err);
        res.destroy();
      });
  });
}

async function handlePush(req: http.IncomingMessage, opts: ConsoleServerOptions): Promise<Reply> {
  const body = await readBody(req, MAX_BODY_BYTES);
  // Nothing about an unsigned delivery is trusted, not even which event it claims to be.
  if (!verifyPushSignature(req.headers, body, opts.secret)) {
    return json(401, { error: 'webhook signature is missing or does not match the body' });
  }
  let push: PushEvent;
  try {
    const event = webhookEvent(req.headers);
    if (event.name === 'ping') return json(200, { ok: true });
    if (event.name !== 'push') return json(202, { ignored: `event '${event.name}' is not a push` });
    push = parsePushEvent(req.headers, body);
  } catch (err) {
    if (err instanceof PushEventError) return json(400, { error: err.toJSON() });
    throw err;
  }
  const ignored = ignoreReason(push, opts.branch);
  if (ignored) return json(202, { ignored });
  const { workflowId, started } = await opts.onPush(push);
  return json(202, { workflowId, started });
}

function ignoreReason(push: PushEvent, branch: string): string | undefined {
  if (push.branch === undefined) return `ref '${push.ref}' is not a branch`;
  if (push.branch !== branch) return `push to branch '${push.branch}'; the console follows '${branch}'`;
  if (push.deleted) return `branch '${branch}' was deleted`;
  return undefined;
}
