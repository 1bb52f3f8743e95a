import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import type { SampleCluster } from '../../demo/sample-fleet';
import type { ChartSeries } from '../../services/console/chart-svg';
import type { FleetView, RolloutDetail } from '../../services/console/console-data';
import { operatorsFile } from '../../services/console/operator-accounts';
import { ARTIFACTS_DIR, launchChromium, consoleOperators, screenshot } from '../support/console-browser';
import { RolloutStore } from '../../stores/rollout-store';
import { FleetHarness } from '../support/fleet-harness';

/**
 * Issue 15, first landing: the console in a real browser against the real stack. Signing in, the fleet by
 * wave and group, a rollout waiting for approval that an operator pauses and resumes and an approver
 * approves from its page, which fills in live; a viewer who cannot act; forged requests refused.
 */
const PORT = 18790 + Number(process.env.LUCID_TEST_PORT_OFFSET ?? 0);
const BASE = `http://127.0.0.1:${PORT}`;
const CLUSTERS: SampleCluster[] = [
  { id: 'co-a', group: 'blockchain', profiles: ['blockchain'], wave: 'canary', labels: { site: 'lab', hardware: 'pi5' } },
  { id: 'co-b', group: 'sessions', profiles: ['sessions'], wave: 'core', labels: { site: 'field', hardware: 'pi4' } },
];
const TEMPORAL_UI = 'http://temporal-ui.test:8233';
const APPROVE_CANARY = [{ name: 'canary', approval: true }, 'core'];
const PASSWORDS = { ada: 'ada operates the fleet', bob: 'bob only looks around', cy: 'cy approves the waves' };

let h: FleetHarness;
let browser: Browser;
let v1: string;
let v2: string;

const { operatorAdd, signedIn } = consoleOperators(PASSWORDS, () => ({ env: h.env, browser, base: BASE }));

beforeAll(async () => {
  fs.rmSync(ARTIFACTS_DIR, { recursive: true, force: true });
  h = await FleetHarness.start('console', CLUSTERS);
  await h.startControlWorker();
  for (const c of CLUSTERS) await h.startClusterWorker(c.id);
  v1 = await h.commit({ version: 'v1' }, 'fleet on v1');
  expect((await h.rollout(v1, { source: 'cli', by: 'test' })).state).toBe('succeeded');
  v2 = await h.commit({ version: 'v2', waves: APPROVE_CANARY }, 'v2 behind approval');
  await h.startRollout(v2, { source: 'cli', by: 'test' });
  await h.untilRolloutState(v2, 'waiting', /approval of wave canary/);
  await operatorAdd('ada', 'operator');
  await operatorAdd('bob', 'viewer');
  await operatorAdd('cy', 'approver');
  await h.serve(PORT, { LUCID_WEBHOOK_SECRET: 's'.repeat(32), LUCID_UI_ORIGIN: TEMPORAL_UI });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

describe('the console in Chromium', () => {
  it('sends a stranger to sign in, refuses a wrong password, and signs an operator in with a HttpOnly SameSite=Strict cookie', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${BASE}/`);
    expect(page.url()).toBe(`${BASE}/signin`);
    await screenshot(page, 'signin');
    await page.getByLabel('Operator name').fill('ada');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toBe('name or password is wrong');
    await screenshot(page, 'signin-refused');
    await page.getByLabel('Password').fill(PASSWORDS.ada);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${BASE}/`);
    const session = (await context.cookies()).find((c) => c.name === 'lucid_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', secure: false, path: '/' });
    expect(await page.evaluate('document.cookie')).toBe('');
    await context.close();
    const stored = fs.readFileSync(operatorsFile(h.dataDir), 'utf8');
    for (const password of Object.values(PASSWORDS)) expect(stored).not.toContain(password);
  });

  it('shows the fleet by wave and group, with commits, health, services and reachability, and filters by label', async () => {
    const { context, page } = await signedIn('bob');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Fleet');
    const canary = page.getByRole('region', { name: 'Wave canary' });
    const coA = canary.getByRole('article', { name: /co-a/ });
    await expect(coA.textContent()).resolves.toMatch(/co-a\s*healthy\s*reachable/);
    expect(await coA.locator('dd code').first().getAttribute('title')).toBe(v1);
    await expect(page.getByRole('region', { name: 'Wave core' }).getByRole('heading', { name: 'Group sessions' }).count()).resolves.toBe(1);
    await screenshot(page, 'fleet');

    await page.getByLabel('Filter by label').fill('site=field');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/label=site%3Dfield/);
    await expect(page.getByRole('article').count()).resolves.toBe(1);
    await expect(page.getByRole('article').getByRole('heading').textContent()).resolves.toMatch(/^co-b/);

    const api = (await (await page.request.get(`${BASE}/api/fleet`)).json()) as FleetView;
    expect(api.commit.sha).toBe(v2);
    expect(api.waves.map((w) => [w.name, w.groups.map((g) => [g.name, g.clusters.map((c) => c.id)])])).toEqual([
      ['canary', [['blockchain', ['co-a']]]],
      ['core', [['sessions', ['co-b']]]],
    ]);
    const a = api.waves[0]!.groups[0]!.clusters[0]!;
    expect(a).toMatchObject({ appliedCommit: v1, lastGoodCommit: v1, health: 'healthy', reachable: true, labels: { site: 'lab', hardware: 'pi5' } });
    expect(a.services.length).toBeGreaterThan(0);
    const bad = await page.request.get(`${BASE}/api/fleet?label=site`);
    expect(bad.status()).toBe(400);
    expect(await bad.json()).toEqual({ error: { field: 'label', reason: "'site' must be key=value, such as site=lab" } });
    await context.close();
  });

  it('is readable on a phone', async () => {
    const { context, page } = await signedIn('bob', { width: 390, height: 844 });
    // Nothing wider than the screen: the page scrolls down, not sideways.
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await screenshot(page, 'fleet-phone');
    await page.goto(`${BASE}/rollouts/${v2}`);
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await screenshot(page, 'rollout-phone');
    await context.close();
  });

  it('lets a viewer see rollouts but not act on them: no buttons, and a pause with its own valid token is refused 403', async () => {
    const { context, page } = await signedIn('bob');
    await page.getByRole('link', { name: 'Rollouts' }).click();
    const running = page.getByRole('table', { name: 'Running' });
    await expect(running.getByRole('link', { name: v2.slice(0, 12) }).count()).resolves.toBe(1);
    await expect(page.getByRole('table', { name: 'Recent' }).getByRole('link', { name: v1.slice(0, 12) }).count()).resolves.toBe(1);
    await screenshot(page, 'rollouts');
    await running.getByRole('link', { name: v2.slice(0, 12) }).click();
    await expect(page.locator('.state').textContent()).resolves.toMatch(/waiting\s+waiting for approval of wave canary/);
    await expect(page.getByRole('button', { name: /Pause|Approve|Abort/ }).count()).resolves.toBe(0);
    const csrf = (await (await page.request.get(`${BASE}/api/session`)).json()) as { csrf: string };
    const r = await page.request.post(`${BASE}/api/rollouts/${v2}/pause`, { data: { reason: 'a viewer tries' }, headers: { 'x-csrf-token': csrf.csrf } });
    expect(r.status()).toBe(403);
    expect(await r.json()).toEqual({ error: { field: 'role', reason: "viewer 'bob' may not pause a rollout: that needs the operator role" } });
    const approve = await page.request.post(`${BASE}/api/rollouts/${v2}/approve`, { data: {}, headers: { 'x-csrf-token': csrf.csrf } });
    expect(approve.status()).toBe(403);
    const detail = (await (await page.request.get(`${BASE}/api/rollouts/${v2}`)).json()) as RolloutDetail;
    expect(detail.status).toMatchObject({ state: 'waiting', paused: false, approvals: [] });
    await context.close();
  });

  it('refuses a forged POST: without the CSRF token, with a wrong one, and from another site, and nothing reaches the rollout', async () => {
    const { context, page } = await signedIn('ada');
    const missing = await page.request.post(`${BASE}/api/rollouts/${v2}/abort`, { data: { reason: 'forged' } });
    expect(missing.status()).toBe(403);
    expect(await missing.json()).toEqual({ error: { field: 'csrf', reason: "missing: send the session's token as the x-csrf-token header or the csrf field" } });
    const wrong = await page.request.post(`${BASE}/api/rollouts/${v2}/abort`, { form: { csrf: 'x'.repeat(43), reason: 'forged' } });
    expect(wrong.status()).toBe(403);
    expect(await wrong.json()).toEqual({ error: { field: 'csrf', reason: "does not match this session's token" } });

    // Another site's page that posts a form to the console as soon as the signed-in operator opens it.
    const evil = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<form id="f" method="post" action="${BASE}/api/rollouts/${v2}/abort"><input name="reason" value="forged"></form><script>f.submit()</script>`);
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.2', resolve));
    const refused = page.waitForResponse((resp) => resp.url().endsWith('/abort'));
    await page.goto(`http://127.0.0.2:${(evil.address() as AddressInfo).port}/`);
    const answer = await refused;
    evil.close();
    expect([401, 403]).toContain(answer.status());

    const detail = (await (await page.request.get(`${BASE}/api/rollouts/${v2}`)).json()) as RolloutDetail;
    expect(detail.status.state).toBe('waiting');
    expect(detail.timeline.map((e) => e.what).filter((w) => /abort/.test(w))).toEqual([]);
    await context.close();
  });

  it('an operator pauses and resumes from the page and an approver approves; the page fills in live and the timeline names who did it', async () => {
    const ada = await signedIn('ada');
    await ada.page.goto(`${BASE}/rollouts/${v2}`);
    await expect(ada.page.getByRole('button', { name: 'Approve next wave' }).count()).resolves.toBe(0);
    await ada.page.getByRole('button', { name: 'Pause' }).click();
    await ada.page.waitForURL(`${BASE}/rollouts/${v2}`);
    await ada.page.getByRole('button', { name: 'Resume' }).waitFor();
    await expect(ada.page.locator('.state').textContent()).resolves.toMatch(/paused/);
    await ada.page.getByRole('button', { name: 'Resume' }).click();
    await ada.page.getByRole('button', { name: 'Pause' }).waitFor();
    await ada.context.close();

    const cy = await signedIn('cy');
    await cy.page.goto(`${BASE}/rollouts/${v2}`);
    await screenshot(cy.page, 'rollout-waiting');
    await cy.page.getByRole('button', { name: 'Approve next wave' }).click();
    await cy.page.waitForURL(`${BASE}/rollouts/${v2}`);
    // No reload from here: console.js polls the JSON API and swaps in the page's new state.
    await cy.page.locator('.state', { hasText: 'succeeded' }).waitFor({ timeout: 180_000 });
    await expect(cy.page.getByRole('region', { name: 'Waves' }).textContent()).resolves.toMatch(/Wave canary\s*healthy[\s\S]*co-a\s*healthy[\s\S]*Wave core\s*healthy[\s\S]*co-b\s*healthy/);
    const timeline = (await cy.page.getByRole('region', { name: 'Timeline' }).locator('li').allTextContents()).map((l) => l.replace(/^\S+\s+/, ''));
    expect(timeline).toEqual(
      expect.arrayContaining(['pause requested by ada: from the console', 'resume requested by ada: from the console', 'approved wave canary by cy', 'rollout ended succeeded']),
    );
    const link = cy.page.getByRole('link', { name: `Workflow rollout-${v2} in the Temporal UI` });
    expect(await link.getAttribute('href')).toBe(`${TEMPORAL_UI}/namespaces/${h.stack.namespace}/workflows/rollout-${v2}`);
    await screenshot(cy.page, 'rollout-succeeded');
    await cy.context.close();
  });

  it('charts rollout durations, reconcile latency and drift corrections per day as inline SVG, with the data as tables', async () => {
    const { context, page } = await signedIn('bob');
    await page.getByRole('link', { name: 'Charts' }).click();
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Charts');
    const reconciles = (await h.store.outcomeTimes()).length;
    for (const [title, marks, count] of [
      ['Rollout durations', 'circle', 2],
      ['Reconcile latency', 'circle', Math.min(100, reconciles)],
      ['Drift corrections per day', 'rect', 14],
    ] as const) {
      const chart = page.getByRole('region', { name: title });
      await expect(chart.getByRole('img', { name: title }).count()).resolves.toBe(1);
      await expect(chart.locator(`svg ${marks}`).count()).resolves.toBe(count);
      await chart.getByText(`${title} as a table`).click();
      await expect(chart.getByRole('table', { name: title }).locator('tbody tr').count()).resolves.toBe(count);
    }
    expect(reconciles).toBeGreaterThanOrEqual(4);
    // The table says what the dots do: both rollouts, v1 then v2, each as long as its record says.
    const rows = await page.getByRole('table', { name: 'Rollout durations' }).locator('tbody tr').allTextContents();
    const recorded = await Promise.all([v1, v2].map(async (sha) => (await new RolloutStore(h.db).get(sha))!));
    expect(rows).toEqual(recorded.map((r) => `${r.startedAt}${Number(((Date.parse(r.endedAt!) - Date.parse(r.startedAt)) / 1000).toFixed(2))}`));
    await screenshot(page, 'charts');
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await screenshot(page, 'charts-phone');
    const api = (await (await page.request.get(`${BASE}/api/charts`)).json()) as ChartSeries[];
    expect(api.map((c) => [c.id, c.points.length])).toEqual([
      ['rollout-durations', 2],
      ['reconcile-latency', Math.min(100, reconciles)],
      ['drift-per-day', 14],
    ]);
    await context.close();
  });

  it('signs out with the token, and the old session cookie is dead afterwards', async () => {
    const { context, page } = await signedIn('bob');
    const cookie = (await context.cookies()).find((c) => c.name === 'lucid_session')!;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${BASE}/signin`);
    const replay = await fetch(`${BASE}/api/fleet`, { headers: { cookie: `lucid_session=${cookie.value}` } });
    expect(replay.status).toBe(401);
    await context.close();
  });
});
