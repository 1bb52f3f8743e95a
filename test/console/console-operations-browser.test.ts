import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { PayoutMonthView } from '../../services/console/payouts-data';
import type { SessionsView } from '../../services/console/sessions-data';
import { SessionStore } from '../../stores/session-store';
import type { SessionManifest } from '../../workflows/session-types';
import { PAYOUT_SCHEDULE_ID } from '../../workflows/task-queues';
import { eventually, kill9 } from '../anchoring/anchor-fixtures';
import { PayoutChainFixture, anchorAll, commitPayoutConfig, randomRecipient, recordedSession, startPayoutPlanes } from '../payouts/payout-fixtures';
import { launchChromium, consoleOperators, screenshot } from '../support/console-browser';
import { FleetHarness } from '../support/fleet-harness';

/**
 * Issue 15: the console's sessions (with anchoring) and payouts pages in a real browser, against the real stack:
 * sessions anchored on the suite's own chain through the real batcher and chain worker, a payout dry run simulated
 * by the real wallet worker, and the month's payout approved from the page by an approver of the payout policy.
 */
const PORT = 18791 + Number(process.env.LUCID_TEST_PORT_OFFSET ?? 0);
const BASE = `http://127.0.0.1:${PORT}`;
const SETTINGS = { LUCID_ANCHOR_MAX_BATCH: '64', LUCID_ANCHOR_MAX_WAIT_SECONDS: '1', LUCID_ANCHOR_CONFIRMATIONS: '1' };
// Payout workflows are one per month on the shared test server: a month no other suite pays.
const MONTH = '2025-05';
const PASSWORDS = { ada: 'ada operates the fleet', bob: 'bob only looks around', cy: 'cy approves the payouts' };
const nodes = { 'n-a': randomRecipient(), 'n-b': randomRecipient() };

let h: FleetHarness;
let fx: PayoutChainFixture;
let browser: Browser;
let chainWorker: ChildProcess;
let walletWorker: ChildProcess;
let anchored: SessionManifest;
let waiting: SessionManifest;

const { operatorAdd, signedIn } = consoleOperators(PASSWORDS, () => ({ env: h.env, browser, base: BASE }));

async function csrfOf(page: Page): Promise<string> {
  return ((await (await page.request.get(`${BASE}/api/session`)).json()) as { csrf: string }).csrf;
}

beforeAll(async () => {
  Object.assign(process.env, SETTINGS);
  h = await FleetHarness.start('console-operations', []);
  fx = await PayoutChainFixture.start({ port: h.stack.chainPort + 71, dir: path.join(h.dataDir, 'chain') });
  ({ chainWorker, walletWorker } = await startPayoutPlanes(h, fx));
  const addresses = Object.fromEntries(Object.entries(nodes).map(([n, r]) => [n, r.tron]));
  await commitPayoutConfig(h, addresses, { approvals: { approvers: ['cy', 'dee'], required: 1, twoApproversAbove: '2000' } });
  const sessions = new SessionStore(h.db);
  anchored = await recordedSession(sessions, 'n-a', new Date(`${MONTH}-10T12:00:00Z`), 10);
  await anchorAll(h, [anchored]);
  // Stored but never handed to the batcher: it waits for a batch, and earns nothing this month.
  waiting = await recordedSession(sessions, 'n-b', new Date(`${MONTH}-11T12:00:00Z`), 3);
  await operatorAdd('ada', 'operator');
  await operatorAdd('bob', 'viewer');
  await operatorAdd('cy', 'approver');
  // The chain's address and contract only: the anchoring key stays with the chain worker.
  await h.serve(PORT, { LUCID_WEBHOOK_SECRET: 's'.repeat(32), LUCID_CHAIN_RPC: fx.chain.rpcUrl, LUCID_CHAIN_CONTRACT: fx.chain.contract });
  browser = await launchChromium();
}, 300_000);
afterAll(async () => {
  for (const k of Object.keys(SETTINGS)) delete process.env[k];
  await h?.client.schedule.getHandle(PAYOUT_SCHEDULE_ID).delete().catch(() => undefined);
  await browser?.close();
  if (walletWorker) await kill9(walletWorker);
  if (chainWorker) await kill9(chainWorker);
  await h?.close();
  await fx?.close();
});

describe('the sessions and payouts pages in Chromium', () => {
  it('lists the recorded sessions with integrity, anchor status and copies, and downloads the proof `lucid session proof` writes', async () => {
    const { context, page } = await signedIn('bob');
    await page.goto(`${BASE}/sessions`);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Sessions');
    const table = page.getByRole('table', { name: 'Sessions, newest first' });
    const row = (m: SessionManifest) => table.getByRole('row').filter({ has: page.locator(`code[title="${m.sessionId}"]`) });
    const doc = (await new SessionStore(h.db).get(anchored.sessionId))!;
    await expect(row(anchored).textContent()).resolves.toMatch(
      new RegExp(`n-a.*intact.*anchored\\s+batch ${doc.anchored!.batchId.slice(0, 12)}, tx ${doc.anchored!.txHash.slice(0, 12)}, block ${doc.anchored!.blockNumber}.*node`, 's'),
    );
    await expect(row(waiting).textContent()).resolves.toMatch(/n-b.*intact.*queued.*node.*not anchored yet/s);
    const anchoring = page.getByRole('region', { name: 'Anchoring' });
    await expect(anchoring.textContent()).resolves.toMatch(new RegExp(`Waiting to be anchored\\s*1\\s*Last batch\\s*batch ${doc.anchored!.batchId.slice(0, 12)}, 1 session`));
    await screenshot(page, 'sessions');

    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: `Proof of session ${anchored.sessionId}` }).click();
    const file = path.join(h.dataDir, 'downloaded.proof.json');
    const got = await download;
    expect(got.suggestedFilename()).toBe(`session-${anchored.sessionId}.proof.json`);
    await got.saveAs(file);
    const fromCli = path.join(h.dataDir, 'cli.proof.json');
    expect((await h.cli(['session', 'proof', anchored.sessionId, '-o', fromCli])).code).toBe(0);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(JSON.parse(fs.readFileSync(fromCli, 'utf8')));
    const verified = await h.cli(['proof', 'verify', file, '--rpc', fx.chain.rpcUrl]);
    expect(verified.stderr).toContain('valid on');
    expect(verified.code).toBe(0);

    const api = (await (await page.request.get(`${BASE}/api/sessions`)).json()) as SessionsView;
    expect(api.sessions.map((s) => [s.sessionId, s.anchor.state, s.incidents])).toEqual([
      [waiting.sessionId, 'queued', 0],
      [anchored.sessionId, 'anchored', 0],
    ]);
    expect(api.anchoring).toMatchObject({ pending: 1, lastBatch: { id: doc.anchored!.batchId, count: 1 }, chainHead: expect.any(Number) });
    const none = await page.request.get(`${BASE}/api/sessions/${waiting.sessionId}/proof`);
    expect(none.status()).toBe(404);
    expect(await none.json()).toEqual({ error: { field: 'sessionId', reason: `session ${waiting.sessionId} is not anchored yet (see lucid anchor status)` } });
    expect((await page.request.get(`${BASE}/api/sessions/not%20a%20session/proof`)).status()).toBe(400);
    await context.close();
  });

  it("an operator runs the month's dry run from the payouts page and sees its statement; a viewer may not start one", async () => {
    const bob = await signedIn('bob');
    await bob.page.goto(`${BASE}/payouts?month=${MONTH}`);
    await expect(bob.page.getByRole('button', { name: /Dry run/ }).count()).resolves.toBe(0);
    const refused = await bob.page.request.post(`${BASE}/api/payouts/${MONTH}/dry-run`, { data: {}, headers: { 'x-csrf-token': await csrfOf(bob.page) } });
    expect(refused.status()).toBe(403);
    expect(await refused.json()).toEqual({ error: { field: 'role', reason: "viewer 'bob' may not dry-run a payout: that needs the operator role" } });
    await bob.context.close();

    const { context, page } = await signedIn('ada');
    await page.goto(`${BASE}/sessions`);
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Payouts' }).click();
    await page.getByLabel('Month').fill(MONTH);
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(`${BASE}/payouts?month=${MONTH}`);
    await expect(page.getByRole('region', { name: 'Payout' }).textContent()).resolves.toMatch(`No payout of ${MONTH} has started`);
    const forged = await page.request.post(`${BASE}/api/payouts/${MONTH}/dry-run`, { data: {} });
    expect(forged.status()).toBe(403);
    await page.getByRole('button', { name: `Dry run ${MONTH}` }).click();
    await page.waitForURL(`${BASE}/payouts?month=${MONTH}`);
    const dry = page.getByRole('region', { name: 'Dry run' });
    await expect(dry.textContent()).resolves.toMatch(/Dry run\s*passed\s*at .*nothing was signed/);
    const statement = page.getByRole('table', { name: `Dry-run statement of ${MONTH}` });
    // 10 h at 0.50 an hour; n-b's session is not anchored and earns nothing.
    await expect(statement.getByRole('row', { name: /n-a/ }).textContent()).resolves.toMatch(/n-a\s*\S+\s*1\s*0\s*5 USDT\s*0 USDT\s*0 USDT\s*5 USDT\s*session-hours/);
    await expect(dry.textContent()).resolves.toMatch(/Batches simulated on chain\s*passed\s*batch \S+, gas \d+/);
    await screenshot(page, 'payouts-dry-run');

    const api = (await (await page.request.get(`${BASE}/api/payouts?month=${MONTH}`)).json()) as PayoutMonthView;
    const preview = JSON.parse((await h.cli(['payout', 'preview', '--month', MONTH, '--json'])).stdout) as { total: string; nodes: object[] };
    expect(api.dryRun).toMatchObject({ passed: true, plan: { total: preview.total } });
    expect(api.dryRun!.plan.nodes).toEqual(expect.arrayContaining(preview.nodes.map((n) => expect.objectContaining(n))));
    expect(api.payout).toBeNull();
    const badMonth = await page.request.get(`${BASE}/api/payouts?month=2026-13`);
    expect(badMonth.status()).toBe(400);
    expect(await badMonth.json()).toEqual({ error: { field: 'month', reason: "'2026-13' is not a month (YYYY-MM)" } });
    await context.close();
  });

  it('is readable on a phone', async () => {
    const { context, page } = await signedIn('bob', { width: 390, height: 844 });
    for (const [where, name] of [
      ['/sessions', 'sessions-phone'],
      [`/payouts?month=${MONTH}`, 'payouts-phone'],
    ]) {
      await page.goto(`${BASE}${where}`);
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      await screenshot(page, name!);
    }
    await context.close();
  });

  it('an approver approves the held payout from the page, carrying their name; an operator sees no approve button', async () => {
    const run = await h.cli(['payout', 'run', '--month', MONTH]);
    expect(run.code).toBe(4);
    const ada = await signedIn('ada');
    await ada.page.goto(`${BASE}/payouts?month=${MONTH}`);
    await expect(ada.page.getByRole('region', { name: 'Payout' }).textContent()).resolves.toMatch(/State\s*awaiting-approval/);
    await expect(ada.page.getByRole('button', { name: /Approve/ }).count()).resolves.toBe(0);
    const refused = await ada.page.request.post(`${BASE}/api/payouts/${MONTH}/approve`, { data: {}, headers: { 'x-csrf-token': await csrfOf(ada.page) } });
    expect(refused.status()).toBe(403);
    await ada.context.close();

    const { context, page } = await signedIn('cy');
    await page.goto(`${BASE}/payouts?month=${MONTH}`);
    await screenshot(page, 'payouts-awaiting-approval');
    await page.getByRole('button', { name: `Approve the ${MONTH} payout as cy` }).click();
    await page.waitForURL(`${BASE}/payouts?month=${MONTH}`);
    await eventually('the payout to be paid', async () => {
      const v = (await (await page.request.get(`${BASE}/api/payouts?month=${MONTH}`)).json()) as PayoutMonthView;
      return v.payout?.state === 'paid' ? v : undefined;
    });
    await page.reload();
    const payout = page.getByRole('region', { name: 'Payout' });
    await expect(payout.textContent()).resolves.toMatch(/State\s*paid, total 5 USDT/);
    await expect(payout.getByRole('listitem').filter({ hasText: /^cy at / }).count()).resolves.toBe(1);
    await expect(page.getByRole('table', { name: `Sealed statement of ${MONTH}` }).getByRole('row', { name: /n-a/ }).count()).resolves.toBe(1);
    expect(await fx.reader.balanceOf(nodes['n-a'].evm)).toBe(5_000_000n);
    await screenshot(page, 'payouts-paid');
    await context.close();
  });
});
