import type * as http from 'node:http';
import { z } from 'zod';
import { FULL_SHA_PATTERN, InvalidInputError, fullSha } from '../../common/input-ids';
import { ConfigError } from '../../config/config-error';
import { json, readBody, type Reply } from '../webhook/http-reply';
import { CONSOLE_ASSETS } from './console-assets';
import type { ConsoleData, OperatorSignal } from './console-data';
import { RequestError, html, parse, redirect } from './console-http';
import { fleetPage, rolloutPage, rolloutsPage, signInPage, type PageContext } from './console-pages';
import { mayAct, type OperatorAccounts, type Role } from './operator-accounts';
import { proposalRoutes } from './proposal-routes';
import type { Proposals } from './proposals';
import { operationsGet, operationsPost, type OperationsData } from './operations-routes';
import { CLIENT_LIMIT, OPERATOR_LIMIT, SignInLimiter } from './sign-in-limiter';
import { SignInSessions, randomToken, sameToken, type SignInSession } from './sign-in-sessions';

export interface ConsoleAppOptions {
  accounts: Pick<OperatorAccounts, 'signIn'>;
  data: ConsoleData;
  operations: OperationsData;
  /** Cookies carry Secure when the console is reached over TLS (its public URL is https). */
  secureCookies: boolean;
  /** Where operators reach the console (`https://console.example`): behind a proxy, the Host header is not that. */
  publicOrigin?: string;
  /** The proposal pages and API (the console's reviewed commits); absent: none. */
  proposals?: Proposals;
}

/** Answers a console path, or undefined when the path is none of the console's. */
export type ConsoleHandler = (req: http.IncomingMessage, path: string) => Promise<Reply | undefined>;

const SESSION_COOKIE = 'lucid_session';
/** The sign-in form's own CSRF token (double-submit), so no other site can sign a browser in as someone else. */
const SIGN_IN_COOKIE = 'lucid_signin';
// A 4096-character secret of non-ASCII characters is about 36 KiB form-encoded.
const MAX_FORM_BYTES = 64 * 1024;

const signInSchema = z.strictObject({
  name: z.string().min(1, 'is empty').max(40, 'is longer than 40 characters'),
  password: z.string().min(1, 'is empty').max(1024, 'is longer than 1024 characters'),
  csrf: z.string().min(1, 'is empty'),
});
const actionSchema = z.strictObject({
  csrf: z.string().optional(),
  reason: z.string().max(500, 'is longer than 500 characters').optional(),
  wave: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'must be a wave name: lowercase letters, digits and dashes')
    .optional(),
});
const endSchema = z.strictObject({ csrf: z.string().optional() });

const ACTIONS: Record<OperatorSignal | 'approve', Role> = { pause: 'operator', resume: 'operator', abort: 'operator', approve: 'approver' };
const ACTION_PATH = /^\/api\/rollouts\/([^/]+)\/(pause|resume|abort|approve)$/;

/** Every console answer: nothing framed, sniffed, cached or loaded from elsewhere. */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  // Not no-referrer: under it browsers send `Origin: null` even on the console's own form posts, which are then refused.
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
};

export function consoleApp(opts: ConsoleAppOptions): ConsoleHandler {
  const sessions = new SignInSessions();
  const proposals = opts.proposals && proposalRoutes(opts.proposals);
  const limits = { operator: new SignInLimiter(OPERATOR_LIMIT), client: new SignInLimiter(CLIENT_LIMIT) };
  const cookie = (name: string, value: string, maxAgeSeconds?: number) =>
    [`${name}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Strict', ...(opts.secureCookies ? ['Secure'] : []), ...(maxAgeSeconds === undefined ? [] : [`Max-Age=${maxAgeSeconds}`])].join('; ');

  const handle = async (req: http.IncomingMessage, path: string): Promise<Reply | undefined> => {
    const asset = CONSOLE_ASSETS[path];
    if (asset) {
      if (req.method !== 'GET') return methodNotAllowed(path, 'GET');
      return { status: 200, contentType: asset.contentType, body: asset.body, headers: { 'cache-control': 'no-cache' } };
    }
    const query = new URL(req.url ?? '/', 'http://console.invalid').searchParams;
    const cookies = parseCookies(req.headers.cookie);
    const form = isForm(req);

    // GET /api/session is the signed-in operator's own: below, behind the session.
    if (path === '/signin' || (path === '/api/session' && req.method !== 'GET')) {
      if (path === '/signin' && req.method === 'GET') {
        const token = cookies[SIGN_IN_COOKIE] ?? randomToken();
        return html(200, signInPage({ csrf: token }), { 'set-cookie': cookie(SIGN_IN_COOKIE, token) });
      }
      if (req.method !== 'POST') return methodNotAllowed(path, path === '/signin' ? 'GET, POST' : 'POST');
      return signIn(req, cookies, form);
    }

    const session = sessions.get(cookies[SESSION_COOKIE]);
    const api = path.startsWith('/api/');
    if (!session) {
      if (api || req.method !== 'GET') return json(401, { error: { field: 'cookie', reason: 'not signed in: POST /api/session first' } });
      return { status: 303, contentType: 'text/plain', body: '', headers: { location: '/signin' } };
    }
    const page: PageContext = { operator: session.operator, csrf: session.csrf };

    if (req.method === 'POST') {
      requireSameOrigin(req, opts.publicOrigin);
      const body = await parseBody(req);
      requireCsrf(session, req, body);
      if (path === '/signout' || path === '/api/session/end') {
        parse(endSchema, body);
        sessions.end(session.id);
        const cleared = cookie(SESSION_COOKIE, '', 0);
        return form ? redirect('/signin', cleared) : { ...json(200, { signedOut: true }), headers: { 'set-cookie': cleared } };
      }
      const proposed = await proposals?.post(path, page, body, form);
      if (proposed) return proposed;
      const operation = await operationsPost(opts.operations, path, page, body, form);
      if (operation) return operation;
      const action = ACTION_PATH.exec(path);
      if (!action) return undefined;
      const commit = shaParam(action[1]!);
      const name = action[2] as OperatorSignal | 'approve';
      const { reason, wave } = parse(actionSchema, body);
      const needed = ACTIONS[name];
      if (!mayAct(session.operator.role, needed)) {
        throw new RequestError(403, 'role', `${session.operator.role} '${session.operator.name}' may not ${name} a rollout: that needs the ${needed} role`);
      }
      let result: unknown;
      if (name === 'approve') {
        result = await opts.data.approve(commit, session.operator.name, wave).catch((err: Error) => {
          throw new RequestError(409, 'approve', err.cause instanceof Error ? err.cause.message : err.message);
        });
      } else {
        await opts.data.signal(commit, name, session.operator.name, reason).catch((err: Error) => {
          if (err.name === 'WorkflowNotFoundError') throw new RequestError(404, 'commit', `no running rollout of ${commit}`);
          throw err;
        });
        result = { sent: name, by: session.operator.name };
      }
      return form ? redirect(`/rollouts/${commit}`) : json(200, result);
    }
    if (req.method !== 'GET') return methodNotAllowed(path, 'GET');

    if (path === '/api/session') return json(200, { operator: session.operator, csrf: session.csrf });
    if (path === '/' || path === '/api/fleet') {
      const view = await opts.data.fleet(labelFilter(query.getAll('label')));
      return api ? json(200, view) : html(200, fleetPage(page, view));
    }
    if (path === '/rollouts' || path === '/api/rollouts') {
      const list = await opts.data.rollouts();
      return api ? json(200, list) : html(200, rolloutsPage(page, list));
    }
    const one = /^\/(api\/)?rollouts\/([^/]+)$/.exec(path);
    if (one) {
      const commit = shaParam(one[2]!);
      const detail = await opts.data.rollout(commit);
      if (!detail) throw new RequestError(404, 'commit', `no rollout of ${commit}`);
      return api ? json(200, detail) : html(200, rolloutPage(page, detail));
    }
    return (await proposals?.get(path, page)) ?? operationsGet(opts.operations, path, query, page);
  };

  const signIn = async (req: http.IncomingMessage, cookies: Record<string, string>, form: boolean): Promise<Reply> => {
    requireSameOrigin(req, opts.publicOrigin);
    const body = parse(signInSchema, await parseBody(req));
    if (!sameToken(body.csrf, cookies[SIGN_IN_COOKIE])) {
      throw new RequestError(403, 'csrf', 'does not match the sign-in form: reload /signin and sign in from it');
    }
    const client = req.socket.remoteAddress ?? 'unknown';
    const wait = Math.max(limits.operator.retryAfterSeconds(body.name), limits.client.retryAfterSeconds(client));
    if (wait > 0) {
      process.stderr.write(`${JSON.stringify({ console: 'sign-in throttled', operator: body.name, client, retryAfterSeconds: wait })}\n`);
      const reason = `too many failed sign-ins: try again in ${wait} s`;
      const headers = { 'retry-after': String(wait) };
      return form ? html(429, signInPage({ csrf: body.csrf, error: reason, name: body.name }), headers) : { ...json(429, { error: { field: 'name', reason } }), headers };
    }
    // Counted before the password is checked, so guesses sent all at once do not all slip in before the first fails.
    limits.operator.fail(body.name);
    const operator = await opts.accounts.signIn(body.name, body.password);
    if (!operator) {
      limits.client.fail(client);
      process.stderr.write(`${JSON.stringify({ console: 'sign-in refused', operator: body.name, client })}\n`);
      const reason = 'name or password is wrong';
      return form ? html(401, signInPage({ csrf: body.csrf, error: reason, name: body.name })) : json(401, { error: { field: 'password', reason } });
    }
    limits.operator.forget(body.name);
    const session = sessions.create(operator);
    process.stderr.write(`${JSON.stringify({ console: 'signed in', operator: operator.name, role: operator.role })}\n`);
    const set = [cookie(SESSION_COOKIE, session.id), cookie(SIGN_IN_COOKIE, '', 0)];
    return form ? redirect('/', set) : { ...json(200, { operator, csrf: session.csrf }), headers: { 'set-cookie': set } };
  };

  return async (req, path) => {
    const reply = await handle(req, path).catch((err: unknown) => {
      if (err instanceof RequestError) return json(err.status, { error: { field: err.field, reason: err.reason } });
      if (err instanceof InvalidInputError) return json(400, { error: { field: err.field, reason: `${err.value} ${err.reason}` } });
      // The followed branch's head is refused (an inventory of no cluster, a schema error): say where, not 500.
      if (err instanceof ConfigError) {
        return json(409, { error: { file: err.file, field: err.field, reason: `the config repo's head is refused: ${err.reason}` } });
      }
      throw err;
    });
    return reply && { ...reply, headers: { ...SECURITY_HEADERS, ...reply.headers } };
  };
}

function isForm(req: http.IncomingMessage): boolean {
  return (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
}

async function parseBody(req: http.IncomingMessage): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';', 1)[0]!.trim();
  const raw = (await readBody(req, MAX_FORM_BYTES)).toString('utf8');
  if (type === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(raw));
  if (type === 'application/json') {
    try {
      return JSON.parse(raw === '' ? '{}' : raw);
    } catch (err) {
      // The parser's message quotes the text around the error, which may be a secret's value: only where it is.
      const at = /position (\d+)/.exec((err as Error).message)?.[1];
      throw new RequestError(400, '(body)', `is not JSON${at ? ` (at character ${at})` : ''}`);
    }
  }
  throw new RequestError(415, 'content-type', `'${type}' is neither application/json nor application/x-www-form-urlencoded`);
}

/** A browser names where a request comes from; one from another site is refused before its token is even looked at. */
function requireSameOrigin(req: http.IncomingMessage, publicOrigin: string | undefined): void {
  if (req.headers['sec-fetch-site'] === 'cross-site') throw new RequestError(403, 'sec-fetch-site', 'cross-site requests are refused');
  const origin = req.headers.origin;
  if (origin === undefined) return;
  if (origin === publicOrigin) return;
  if (origin === 'null' || URL.parse(origin)?.host !== req.headers.host) throw new RequestError(403, 'origin', `'${origin}' is not this console`);
}

function requireCsrf(session: SignInSession, req: http.IncomingMessage, body: unknown): void {
  const header = req.headers['x-csrf-token'];
  const field = body && typeof body === 'object' && 'csrf' in body ? (body as { csrf: unknown }).csrf : undefined;
  const token = typeof header === 'string' ? header : typeof field === 'string' ? field : undefined;
  if (token === undefined) throw new RequestError(403, 'csrf', 'missing: send the session\'s token as the x-csrf-token header or the csrf field');
  if (!sameToken(token, session.csrf)) throw new RequestError(403, 'csrf', 'does not match this session\'s token');
}

function shaParam(value: string): string {
  if (!FULL_SHA_PATTERN.test(value)) fullSha('commit', value);
  return value;
}

/** `label=site=berlin` (repeatable): clusters with every one of the labels. */
function labelFilter(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const m = /^([A-Za-z0-9._/-]{1,63})=([^=]{0,200})$/.exec(v);
    if (!m) throw new RequestError(400, 'label', `'${v}' must be key=value, such as site=lab`);
    out[m[1]!] = m[2]!;
  }
  return out;
}

function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

function methodNotAllowed(path: string, allow: string): Reply {
  return { ...json(405, { error: { field: 'method', reason: `${path} accepts ${allow} only` } }), headers: { allow } };
}
