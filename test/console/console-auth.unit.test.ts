import * as fs from 'node:fs';
import type * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { runtimeEnv } from '../../config/runtime-env';
import { ConfigRepoWriter } from '../../demo/config-repo-writer';
import { sampleFleetFiles } from '../../demo/sample-fleet';
import { consoleApp } from '../../services/console/console-app';
import { ConsoleData } from '../../services/console/console-data';
import { operationsData } from '../../services/console/operations-routes';
import { OperatorAccounts, addOperator } from '../../services/console/operator-accounts';
import { ConsoleContext } from '../../services/console-context';
import { createConsoleServer } from '../../services/webhook/console-server';

/**
 * Sign-in, cookies, CSRF and request validation over real HTTP. Everything here is answered before the
 * console reads Temporal, MongoDB or the repo, so the context points at nothing; the browser test covers the rest.
 */
let dir: string;
let server: http.Server;
let base: string;

async function start(secureCookies: boolean, env: Record<string, string> = {}): Promise<void> {
  const file = path.join(dir, 'operators.json');
  await addOperator(file, { name: 'ada', role: 'operator' }, 'ada operates the fleet');
  const ctx = new ConsoleContext(runtimeEnv({ LUCID_DATA_DIR: dir, MONGO_URL: 'mongodb://127.0.0.1:1/', TEMPORAL_ADDRESS: '127.0.0.1:1', ...env }));
  const app = consoleApp({ accounts: OperatorAccounts.load(file), data: new ConsoleData(ctx, { codecs: [] }), operations: operationsData(ctx), secureCookies, publicOrigin: 'https://console.example' });
  server = createConsoleServer({ secret: 's'.repeat(32), branch: 'main', onPush: async () => ({ workflowId: 'w', started: false }), app });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The sign-in form's token and the cookie that must come back with it. */
async function signInForm(): Promise<{ csrf: string; cookie: string }> {
  const r = await fetch(`${base}/signin`);
  const cookie = r.headers.get('set-cookie')!.split(';', 1)[0]!;
  const csrf = /name="csrf" value="([^"]+)"/.exec(await r.text())![1]!;
  return { csrf, cookie };
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-console-'));
});
afterEach(async () => {
  await new Promise((r) => server?.close(r));
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('console sign-in', () => {
  it('signs in with the form token and its cookie, giving a HttpOnly SameSite=Strict session cookie and a CSRF token', async () => {
    await start(false);
    const { csrf, cookie } = await signInForm();
    expect(cookie).toMatch(/^lucid_signin=/);
    const r = await fetch(`${base}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ name: 'ada', password: 'ada operates the fleet', csrf }),
    });
    expect(r.status).toBe(200);
    const body = (await r.json()) as { operator: unknown; csrf: string };
    expect(body.operator).toEqual({ name: 'ada', role: 'operator' });
    expect(body.csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const set = r.headers.getSetCookie();
    expect(set.find((c) => c.startsWith('lucid_session='))).toMatch(/^lucid_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(set.find((c) => c.startsWith('lucid_signin='))).toMatch(/Max-Age=0/);
    expect(r.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.headers.get('referrer-policy')).toBe('same-origin');
  });

  it('marks cookies Secure when the console is served over TLS', async () => {
    await start(true);
    const r = await fetch(`${base}/signin`);
    expect(r.headers.get('set-cookie')).toMatch(/; HttpOnly; SameSite=Strict; Secure$/);
  });

  it('refuses a sign-in whose token does not match the form cookie (login CSRF), and one from another origin', async () => {
    await start(false);
    const { csrf } = await signInForm();
    const post = (headers: Record<string, string>) =>
      fetch(`${base}/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ name: 'ada', password: 'ada operates the fleet', csrf }),
      });
    const noCookie = await post({});
    expect(noCookie.status).toBe(403);
    expect(await noCookie.json()).toEqual({ error: { field: 'csrf', reason: 'does not match the sign-in form: reload /signin and sign in from it' } });
    const crossSite = await post({ cookie: `lucid_signin=${csrf}`, origin: 'https://evil.example' });
    expect(crossSite.status).toBe(403);
    expect(await crossSite.json()).toEqual({ error: { field: 'origin', reason: "'https://evil.example' is not this console" } });
  });

  it("takes the console's public origin behind a proxy, and refuses an opaque (null) origin", async () => {
    await start(false);
    const { csrf, cookie } = await signInForm();
    const post = (origin: string) =>
      fetch(`${base}/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie, origin },
        body: JSON.stringify({ name: 'ada', password: 'ada operates the fleet', csrf }),
      });
    expect((await post('https://console.example')).status).toBe(200);
    const opaque = await post('null');
    expect(opaque.status).toBe(403);
    expect(await opaque.json()).toEqual({ error: { field: 'origin', reason: "'null' is not this console" } });
  });

  it('answers a wrong password and an unknown operator alike', async () => {
    await start(false);
    const { csrf, cookie } = await signInForm();
    for (const [name, password] of [
      ['ada', 'wrong password here'],
      ['nobody', 'ada operates the fleet'],
    ]) {
      const r = await fetch(`${base}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify({ name, password, csrf }) });
      expect(r.status).toBe(401);
      expect(await r.json()).toEqual({ error: { field: 'password', reason: 'name or password is wrong' } });
    }
  });

  it('refuses an operator name 429 with Retry-After after five wrong passwords, even the right one then, and other names still sign in', async () => {
    await addOperator(path.join(dir, 'operators.json'), { name: 'bea', role: 'viewer' }, 'bea reads the fleet');
    await start(false);
    const { csrf, cookie } = await signInForm();
    const post = (name: string, password: string) =>
      fetch(`${base}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify({ name, password, csrf }) });
    for (let i = 0; i < 5; i++) expect((await post('ada', `wrong guess ${i}`)).status).toBe(401);
    const locked = await post('ada', 'ada operates the fleet');
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(800);
    expect(Number(locked.headers.get('retry-after'))).toBeLessThanOrEqual(900);
    expect(await locked.json()).toEqual({ error: { field: 'name', reason: expect.stringMatching(/^too many failed sign-ins: try again in \d+ s$/) } });
    // The form gets the sign-in page back, saying so.
    const form = await fetch(`${base}/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams({ name: 'ada', password: 'ada operates the fleet', csrf }).toString(),
    });
    expect(form.status).toBe(429);
    expect(await form.text()).toMatch(/role="alert"[^>]*>too many failed sign-ins: try again in \d+ s</);
    // Bea's reload of the form is a fresh token; her name has no failures.
    const bea = await signInForm();
    const r = await fetch(`${base}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: bea.cookie },
      body: JSON.stringify({ name: 'bea', password: 'bea reads the fleet', csrf: bea.csrf }),
    });
    expect(r.status).toBe(200);
  });

  it.each([
    ['a missing field', { name: 'ada', csrf: 'x' }, 'application/json', 400, { field: 'password', reason: 'Invalid input: expected string, received undefined' }],
    ['an unknown field', { name: 'ada', password: 'p', csrf: 'x', admin: true }, 'application/json', 400, { field: '(body)', reason: 'Unrecognized key: "admin"' }],
    ['a body that is not JSON', '{', 'application/json', 400, { field: '(body)', reason: expect.stringMatching(/^is not JSON/) }],
    ['another content type', 'name=ada', 'text/plain', 415, { field: 'content-type', reason: "'text/plain' is neither application/json nor application/x-www-form-urlencoded" }],
  ])('refuses %s, naming field and reason', async (_what, body, type, status, error) => {
    await start(false);
    const { cookie } = await signInForm();
    const r = await fetch(`${base}/api/session`, { method: 'POST', headers: { 'content-type': type, cookie }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    expect(r.status).toBe(status);
    expect(await r.json()).toEqual({ error: error });
  });

  it('sends a page request without a session to sign in, and answers an API request 401', async () => {
    await start(false);
    const page = await fetch(`${base}/rollouts`, { redirect: 'manual' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/signin');
    const api = await fetch(`${base}/api/fleet`);
    expect(api.status).toBe(401);
    const post = await fetch(`${base}/api/rollouts/${'a'.repeat(40)}/pause`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(post.status).toBe(401);
  });

  it("answers 409 naming file, field and reason when the followed branch's head is refused, not 500", async () => {
    const repo = await ConfigRepoWriter.open(path.join(dir, 'config.git'));
    const files = sampleFleetFiles({ clusters: [{ id: 'ca-a', group: 'blockchain', profiles: ['blockchain'], wave: 'canary' }], version: 'v1' });
    await repo.commit({ ...files, 'clusters/clusters.yaml': 'clusters: []\n' }, 'every cluster retired', { replaceAll: true });
    await start(false, { LUCID_CONFIG_REPO: repo.bareDir });
    const { csrf, cookie } = await signInForm();
    const signIn = await fetch(`${base}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ name: 'ada', password: 'ada operates the fleet', csrf }),
    });
    const session = signIn.headers.getSetCookie().find((c) => c.startsWith('lucid_session='))!.split(';', 1)[0]!;
    for (const url of ['/api/fleet', '/']) {
      const r = await fetch(`${base}${url}`, { headers: { cookie: session } });
      expect(r.status).toBe(409);
      expect(await r.json()).toEqual({
        error: { file: 'clusters/clusters.yaml', field: 'clusters', reason: "the config repo's head is refused: the inventory lists no cluster" },
      });
    }
  });

  it('serves its own stylesheet and script without a session, beside the webhook server routes', async () => {
    await start(false);
    const css = await fetch(`${base}/assets/console.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect((await fetch(`${base}/assets/console.js`)).status).toBe(200);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});
