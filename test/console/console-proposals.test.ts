import type { Browser, Page } from 'playwright-core';
import { git } from '../../repo/git-command';
import { sampleFleetFiles, type SampleCluster } from '../../demo/sample-fleet';
import type { FleetView } from '../../services/console/console-data';
import type { Proposal } from '../../stores/proposal-store';
import { launchChromium, operatorAdd, screenshot, signedIn } from '../support/console-browser';
import { FleetHarness } from '../support/fleet-harness';
import { reviewInHistory } from '../support/proposal-history';

/**
 * Issue 15, proposals: the console's reviewed commits in a real browser against the real stack. An operator
 * proposes a change without git; the console commits it on proposals/<id> and runs the gates of `lucid policy
 * check` on it; an approver other than the proposer approves and merges (a fast-forward of main), and the merge
 * rolls out. A refused gate, the proposer's own approval and a viewer are refused server-side.
 */
const PORT = 18796 + Number(process.env.LUCID_TEST_PORT_OFFSET ?? 0);
const BASE = `http://127.0.0.1:${PORT}`;
const CLUSTERS: SampleCluster[] = [
  { id: 'pr-a', group: 'blockchain', profiles: ['blockchain'], wave: 'canary', labels: { site: 'lab', hardware: 'pi5' } },
  { id: 'pr-b', group: 'sessions', profiles: ['sessions'], wave: 'core', labels: { site: 'field', hardware: 'pi4' } },
];
const PASSWORDS = { ada: 'ada operates the fleet', bob: 'bob only looks around', cy: 'cy approves the waves', dee: 'dee approves as well' };
type Name = keyof typeof PASSWORDS;

let h: FleetHarness;
let browser: Browser;
let registry: string;
let v1: string;

const as = (name: Name) => signedIn(browser, BASE, name, PASSWORDS[name]);
const mainHead = async () => (await git(['rev-parse', 'refs/heads/main'], { cwd: h.repo.bareDir })).trim();

/** The session's CSRF token, for requests the test forges with the operator's own valid session. */
async function csrfOf(page: Page): Promise<string> {
  return ((await (await page.request.get(`${BASE}/api/session`)).json()) as { csrf: string }).csrf;
}

async function post(page: Page, url: string, data: object = {}) {
  const r = await page.request.post(`${BASE}${url}`, { data, headers: { 'x-csrf-token': await csrfOf(page) } });
  return { status: r.status(), body: (await r.json()) as { error?: { field: string; reason: string } } & Partial<Proposal> };
}

async function gateRows(page: Page): Promise<string[]> {
  const rows = await page.getByRole('region', { name: 'Gates' }).locator('tbody tr').all();
  return Promise.all(rows.map(async (r) => (await r.locator('th, td').allTextContents()).map((c) => c.trim()).join(' | ')));
}

beforeAll(async () => {
  h = await FleetHarness.start('proposals', CLUSTERS);
  registry = h.stack.registry;
  const { key, images } = await h.releasedDemoImages();
  await h.startControlWorker();
  for (const c of CLUSTERS) await h.startClusterWorker(c.id);
  // Images must be pinned, signed and attested (policies/images.yaml); commits go unsigned, visibly opted out.
  const files = sampleFleetFiles({
    clusters: CLUSTERS,
    version: 'v1',
    images,
    imagePolicy: { registries: [registry], signers: [{ name: key.name, publicKey: key.publicKey }], budget: { critical: 0, high: 0 } },
  });
  v1 = await h.repo.commit(files, 'fleet on v1, pinned', { replaceAll: true });
  expect((await h.rollout(v1, { source: 'cli', by: 'test' })).state).toBe('succeeded');
  await operatorAdd(h.env, 'ada', PASSWORDS.ada, 'operator');
  await operatorAdd(h.env, 'bob', PASSWORDS.bob, 'viewer');
  await operatorAdd(h.env, 'cy', PASSWORDS.cy, 'approver');
  await operatorAdd(h.env, 'dee', PASSWORDS.dee, 'approver');
  await h.serve(PORT, { LUCID_WEBHOOK_SECRET: 's'.repeat(32) });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

describe('proposals in Chromium', () => {
  it("an operator moves a cluster to another wave; the gates pass; a second operator approves and merges; main fast-forwards and it rolls out", async () => {
    const ada = await as('ada');
    await ada.page.getByRole('link', { name: 'Proposals' }).click();
    await ada.page.getByRole('link', { name: 'New proposal' }).click();
    const form = ada.page.getByRole('region', { name: 'Change a cluster', exact: true });
    await form.getByLabel('Title').fill('Move pr-b to the canary wave');
    await form.getByLabel('Cluster').selectOption('pr-b');
    await form.getByLabel('Wave').selectOption('canary');
    await screenshot(ada.page, 'proposal-new');
    await form.getByRole('button', { name: 'Propose' }).click();
    await ada.page.waitForURL(`${BASE}/proposals/1`);
    await expect(ada.page.locator('.state').textContent()).resolves.toMatch(/open/);
    expect(await gateRows(ada.page)).toEqual([
      'signature | passed | NOT checked: policies/lucid.yaml opts out (unsignedCommits)',
      'config | passed | 2 cluster(s): schemas, profiles and services allowed',
      'runtime | passed | container privileges, mounts and egress within the runtime policy',
      'images | passed | 1 image(s) pinned, signed and attested within budget',
    ]);
    await expect(ada.page.getByRole('region', { name: 'Diff' }).textContent()).resolves.toMatch(/-\s+wave: core\n\+\s+wave: canary/);
    // An operator proposes; approving and merging take the approver role.
    await expect(ada.page.getByRole('button', { name: /Approve|Merge/ }).count()).resolves.toBe(0);
    await screenshot(ada.page, 'proposal-open');

    const p = (await (await ada.page.request.get(`${BASE}/api/proposals/1`)).json()) as Proposal;
    expect(p).toMatchObject({ id: 1, proposer: 'ada', branch: 'proposals/1', base: v1, approvals: [] });
    const repo = (args: string[]) => git(args, { cwd: h.repo.bareDir });
    expect((await repo(['rev-parse', 'refs/heads/proposals/1'])).trim()).toBe(p.commit);
    expect(await repo(['log', '-1', '--format=%an <%ae>%n%cn%n%B', p.commit])).toBe(
      'ada <ada@console.lucid.invalid>\nLucid console\nMove pr-b to the canary wave\n\ncluster pr-b: wave canary\n\nProposed-by: ada\nLucid-Proposal: 1\n\n',
    );
    expect(await mainHead()).toBe(v1);
    await ada.context.close();

    const cy = await as('cy');
    await cy.page.goto(`${BASE}/proposals/1`);
    await expect(cy.page.getByRole('button', { name: 'Merge' }).count()).resolves.toBe(0);
    // Merge before any approval is refused server-side too.
    expect((await post(cy.page, '/api/proposals/1/merge')).body.error).toEqual({ field: 'approvals', reason: "#1 needs an approval by an approver other than its proposer 'ada'" });
    await cy.page.getByRole('button', { name: 'Approve' }).click();
    await cy.page.getByRole('button', { name: 'Merge' }).waitFor();
    await expect(cy.page.getByRole('region', { name: 'Approvals' }).textContent()).resolves.toMatch(/^Approvals\s*cy at /);
    await screenshot(cy.page, 'proposal-approved');
    await cy.page.getByRole('button', { name: 'Merge' }).click();
    await cy.page.waitForURL(`${BASE}/proposals/1`);
    await expect(cy.page.locator('.state').textContent()).resolves.toMatch(/merged/);
    expect(await mainHead()).toBe(p.commit);
    await screenshot(cy.page, 'proposal-merged');
    // Who proposed, approved and merged is in the proposal workflow's history; the refused early merge is not.
    await expect(h.client.workflow.getHandle('proposal-1').result()).resolves.toMatchObject({ phase: 'merged', proposer: 'ada', merged: { by: 'cy' } });
    const review = await reviewInHistory(h.client, 1);
    expect(review.started).toMatchObject({ id: 1, by: 'ada', base: v1, branch: 'main', change: { kind: 'cluster', cluster: 'pr-b', wave: 'canary' } });
    expect(review.updates).toEqual([['proposed'], ['approveProposal', { by: 'cy' }], ['mergeProposal', { by: 'cy' }]]);

    await cy.page.getByRole('link', { name: 'its rollout' }).click();
    await cy.page.waitForURL(`${BASE}/rollouts/${p.commit}`);
    await cy.page.locator('.state', { hasText: 'succeeded' }).waitFor({ timeout: 180_000 });
    await expect(cy.page.getByRole('region', { name: 'Waves' }).textContent()).resolves.toMatch(/Wave canary\s*healthy[\s\S]*pr-a\s*healthy[\s\S]*pr-b\s*healthy/);
    const timeline = (await cy.page.getByRole('region', { name: 'Timeline' }).locator('li').allTextContents()).map((l) => l.replace(/^\S+\s+/, ''));
    expect(timeline).toEqual(
      expect.arrayContaining(['rollout requested (trigger webhook by cy: proposal #1 merged by cy: proposed by ada, approved by cy)', 'rollout ended succeeded']),
    );
    await screenshot(cy.page, 'proposal-rollout-succeeded');
    const fleet = (await (await cy.page.request.get(`${BASE}/api/fleet`)).json()) as FleetView;
    expect(fleet.commit.sha).toBe(p.commit);
    expect(fleet.waves.find((w) => w.name === 'canary')!.groups.flatMap((g) => g.clusters.map((c) => [c.id, c.appliedCommit]))).toEqual([
      ['pr-a', p.commit],
      ['pr-b', p.commit],
    ]);
    await cy.context.close();
  });

  it('a proposal with an unpinned image shows the refused gate, and neither the page nor a forged POST can approve or merge it', async () => {
    const before = await mainHead();
    const ada = await as('ada');
    await ada.page.goto(`${BASE}/proposals/new`);
    const form = ada.page.getByRole('region', { name: "Change a service's image" });
    await form.getByLabel('Title').fill('blockchain-core by tag');
    await form.getByLabel('Service').selectOption('blockchain-core');
    await form.getByLabel('Image').fill(`${registry}/lucid/demo-app:v2`);
    await form.getByRole('button', { name: 'Propose' }).click();
    await ada.page.waitForURL(`${BASE}/proposals/2`);
    const rows = await gateRows(ada.page);
    expect(rows.slice(0, 3).map((r) => r.split(' | ').slice(0, 2).join(' '))).toEqual(['signature passed', 'config passed', 'runtime passed']);
    expect(rows[3]).toMatch(
      /^images \| refused \| compose\/docker-compose.yml: services.blockchain-core.image: pinning gate: '.*\/lucid\/demo-app:v2' is not pinned by digest/,
    );
    await expect(ada.page.locator('.state').textContent()).resolves.toMatch(/refused/);
    await screenshot(ada.page, 'proposal-refused');
    await ada.context.close();

    const cy = await as('cy');
    await cy.page.goto(`${BASE}/proposals/2`);
    await expect(cy.page.getByRole('button', { name: /Approve|Merge/ }).count()).resolves.toBe(0);
    for (const action of ['approve', 'merge']) {
      const r = await post(cy.page, `/api/proposals/2/${action}`);
      expect(r.status).toBe(409);
      expect(r.body.error).toMatchObject({ field: 'gates', reason: expect.stringMatching(/^#2 cannot be merged: the images gate refused it \(.*not pinned by digest/) });
    }
    const p = (await (await cy.page.request.get(`${BASE}/api/proposals/2`)).json()) as Proposal;
    expect(p.approvals).toEqual([]);
    expect(p.merged).toBeUndefined();
    expect(await mainHead()).toBe(before);
    await cy.context.close();
  });

  it('the proposer cannot approve their own proposal, and a merge that is no longer a fast-forward of main is refused', async () => {
    const cy = await as('cy');
    const own = await post(cy.page, '/api/proposals', { title: 'pr-a on pi4', kind: 'cluster', cluster: 'pr-a', labels: 'site=lab hardware=pi4' });
    expect(own.status).toBe(201);
    const id = own.body.id!;
    await cy.page.goto(`${BASE}/proposals/${id}`);
    await expect(cy.page.getByRole('button', { name: /Approve|Merge/ }).count()).resolves.toBe(0);
    const self = await post(cy.page, `/api/proposals/${id}/approve`);
    expect(self).toEqual({ status: 403, body: { error: { field: 'approver', reason: `'cy' proposed #${id}: nobody approves their own proposal` } } });

    // Another proposal made on the same main: once the first merges, it is no longer a fast-forward.
    const ada = await as('ada');
    const other = await post(ada.page, '/api/proposals', { title: 'pr-a to core', kind: 'cluster', cluster: 'pr-a', wave: 'core' });
    expect(other.status).toBe(201);
    const dee = await as('dee');
    for (const n of [id, other.body.id!]) expect((await post(dee.page, `/api/proposals/${n}/approve`)).status).toBe(200);
    const merged = await post(dee.page, `/api/proposals/${id}/merge`);
    expect(merged.status).toBe(200);
    expect(await mainHead()).toBe(merged.body.commit);
    const late = await post(dee.page, `/api/proposals/${other.body.id}/merge`);
    expect(late).toEqual({
      status: 409,
      body: { error: { field: 'merge', reason: `main moved to ${merged.body.commit!.slice(0, 12)} since this proposal was made: not a fast-forward (propose the change again on the new main)` } },
    });
    expect(await mainHead()).toBe(merged.body.commit);
    await h.untilRolloutState(merged.body.commit!, 'succeeded');
    for (const c of [cy, ada, dee]) await c.context.close();
  });

  it('a viewer can read proposals but not propose, approve or merge; an operator cannot merge; a POST without the CSRF token is refused; .env values but not secrets', async () => {
    const bob = await as('bob');
    await bob.page.goto(`${BASE}/proposals`);
    await expect(bob.page.getByRole('table', { name: 'Proposals' }).locator('tbody tr').count()).resolves.toBe(4);
    await expect(bob.page.getByRole('link', { name: 'New proposal' }).count()).resolves.toBe(0);
    await screenshot(bob.page, 'proposals');
    const phone = await signedIn(browser, BASE, 'bob', PASSWORDS.bob, { width: 390, height: 844 });
    for (const [url, name] of [['/proposals/1', 'proposal-phone'], ['/proposals/2', 'proposal-refused-phone']]) {
      await phone.page.goto(`${BASE}${url}`);
      // Nothing wider than the screen: the diff scrolls inside its own box.
      expect(await phone.page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      await screenshot(phone.page, name!);
    }
    await phone.context.close();
    expect((await bob.page.request.get(`${BASE}/proposals/new`)).status()).toBe(403);
    const propose = await post(bob.page, '/api/proposals', { title: 'a viewer tries', kind: 'cluster', cluster: 'pr-a', wave: 'core' });
    expect(propose).toEqual({ status: 403, body: { error: { field: 'role', reason: "viewer 'bob' may not propose a change: that needs the operator role" } } });
    const approve = await post(bob.page, '/api/proposals/4/approve');
    expect(approve).toEqual({ status: 403, body: { error: { field: 'role', reason: "viewer 'bob' may not approve a proposal: that needs the approver role" } } });
    await bob.context.close();

    const ada = await as('ada');
    expect((await post(ada.page, '/api/proposals/4/merge')).body.error).toEqual({ field: 'role', reason: "operator 'ada' may not merge a proposal: that needs the approver role" });
    const forged = await ada.page.request.post(`${BASE}/api/proposals`, { data: { title: 'forged', kind: 'cluster', cluster: 'pr-a', wave: 'core' } });
    expect(forged.status()).toBe(403);
    expect(((await forged.json()) as { error: { field: string } }).error.field).toBe('csrf');
    const bad = await post(ada.page, '/api/proposals', { title: 'no such cluster', kind: 'cluster', cluster: 'zz', wave: 'core' });
    expect(bad).toEqual({ status: 409, body: { error: { field: 'cluster', reason: expect.stringMatching(/^'zz' is not in clusters\/clusters.yaml at [0-9a-f]{12}$/) } } });
    const list = (await (await ada.page.request.get(`${BASE}/api/proposals`)).json()) as Proposal[];
    expect(list.map((p) => p.id)).toEqual([4, 3, 2, 1]);

    // A .env value is proposed like the rest; a secret's variable is refused before anything is committed.
    const branches = async () => (await git(['branch', '--list', 'proposals/*'], { cwd: h.repo.bareDir })).split('\n').filter(Boolean).length;
    const secret = await post(ada.page, '/api/proposals', { title: 'a key in clear', kind: 'env', cluster: 'pr-b', key: 'S3_ACCESS_KEY', value: 'hunter2' });
    expect(secret).toEqual({
      status: 409,
      body: { error: { field: 'key', reason: 'S3_ACCESS_KEY is a secret (enc:sops in .env): propose its value as a secret, sealed to the cluster, not as an .env value' } },
    });
    expect(await branches()).toBe(4);
    await ada.page.goto(`${BASE}/proposals/new`);
    const form = ada.page.getByRole('region', { name: "Change a cluster's .env value" });
    await form.getByLabel('Title').fill('a secret in clear');
    await form.getByLabel('Cluster').selectOption('pr-b');
    await form.getByLabel('Variable').fill('S3_SECRET_KEY');
    await form.getByLabel('Value').fill('hunter2');
    await form.getByRole('button', { name: 'Propose' }).click();
    await expect(ada.page.getByRole('alert').textContent()).resolves.toBe(
      'Not proposed: key: S3_SECRET_KEY is a secret (enc:sops in .env): propose its value as a secret, sealed to the cluster, not as an .env value',
    );
    await screenshot(ada.page, 'proposal-secret-refused');
    expect(await branches()).toBe(4);
    await form.getByLabel('Title').fill('pr-b on mainnet');
    await form.getByLabel('Cluster').selectOption('pr-b');
    await form.getByLabel('Variable').fill('TRON_MODE');
    await form.getByLabel('Value').fill('mainnet');
    await form.getByRole('button', { name: 'Propose' }).click();
    await ada.page.waitForURL(`${BASE}/proposals/5`);
    expect((await gateRows(ada.page)).map((r) => r.split(' | ')[1])).toEqual(['passed', 'passed', 'passed', 'passed']);
    await expect(ada.page.getByRole('region', { name: 'Diff' }).textContent()).resolves.toMatch(/-TRON_MODE=shasta\n\+TRON_MODE=mainnet/);
    expect(await branches()).toBe(5);
    // The proposer withdraws it: the workflow ends, and nothing is left to approve.
    await ada.page.getByRole('button', { name: 'Withdraw' }).click();
    await ada.page.locator('.state', { hasText: 'withdrawn' }).waitFor();
    await expect(h.client.workflow.getHandle('proposal-5').result()).resolves.toMatchObject({ phase: 'withdrawn', withdrawn: { by: 'ada' } });
    await ada.context.close();
    const dee = await as('dee');
    expect(await post(dee.page, '/api/proposals/5/approve')).toEqual({ status: 409, body: { error: { field: 'proposal', reason: '#5 was withdrawn by ada' } } });
    // A change that changes nothing is refused by the workflow's commit: its refusal comes back as the console's 409.
    const nothing = await post(dee.page, '/api/proposals', { title: 'pr-a stays', kind: 'cluster', cluster: 'pr-a', wave: 'canary' });
    expect(nothing).toEqual({
      status: 409,
      body: { error: { field: 'change', reason: expect.stringMatching(/^changes nothing: clusters\/clusters.yaml already say so at [0-9a-f]{12}$/) } },
    });
    await dee.context.close();
  });
});
