import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { git } from '../../repo/git-command';
import { parse, stringify } from 'yaml';
import { sampleFleetFiles, type SampleCluster } from '../../demo/sample-fleet';
import type { Proposal } from '../../stores/proposal-store';
import { consoleOperators, launchChromium, screenshot } from '../support/console-browser';
import { FleetHarness } from '../support/fleet-harness';
import { filesContaining } from '../support/files-containing';
import { reviewInHistory } from '../support/proposal-history';
import { generateAgeKey, runTool, secretTools, type AgeKey } from '../secrets/secret-tools';

/**
 * Issue 15, a secret's value proposed from the console: the server seals it at once, as `sops encrypt` would, to
 * the age recipients `.sops.yaml` names for `secrets/<id>.d/<NAME>.enc.yaml`, and only the sealed file goes on:
 * into the proposal's commit, its workflow's history and its record. After review and merge the cluster opens it
 * with its own key and the service reads the new value, which takes the place of the one in `secrets/<id>.enc.yaml`.
 */
const PORT = 18797 + Number(process.env.LUCID_TEST_PORT_OFFSET ?? 0);
const BASE = `http://127.0.0.1:${PORT}`;
const CLUSTER: SampleCluster = { id: 'ps-a', group: 'blockchain', profiles: ['blockchain'], wave: 'canary' };
const OLD = `old-${randomBytes(8).toString('hex')}`;
// Quotes, spaces, a newline and non-ASCII: a value the .env form would refuse, sealed as it is.
const NEW = `n3w "db" pass\nwörd-${randomBytes(8).toString('hex')}`;
const { operatorAdd, signedIn } = consoleOperators({ ada: 'ada operates the fleet', cy: 'cy approves the waves' }, () => ({ env: h.env, browser, base: BASE }));

let h: FleetHarness;
let browser: Browser;
let work: string;
let key: AgeKey;
let v1: string;

/** Every byte string in a history (each payload's data), for a search that the wire encoding cannot hide from. */
function bytesIn(value: unknown, out: Buffer[] = []): Buffer[] {
  if (value instanceof Uint8Array) out.push(Buffer.from(value));
  else if (value && typeof value === 'object') for (const v of Object.values(value)) bytesIn(v, out);
  return out;
}

beforeAll(async () => {
  const tools = secretTools();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-secret-proposals-'));
  key = generateAgeKey(tools, work, CLUSTER.id);
  h = await FleetHarness.start('secret-proposals', [CLUSTER]);
  const { key: release, images } = await h.releasedDemoImages();
  await h.startControlWorker();
  await h.startClusterWorker(CLUSTER.id, { ageIdentities: [key.identity], secretsDir: fs.mkdtempSync('/dev/shm/lucid-test-secrets-') });
  const files = sampleFleetFiles({
    clusters: [CLUSTER],
    version: 'v1',
    images,
    imagePolicy: {
      registries: [h.stack.registry],
      signers: [{ name: release.name, publicKey: release.publicKey }],
      budget: { critical: 0, high: 0 },
    },
  });
  const compose = parse(files['compose/docker-compose.yml']!);
  compose.services['blockchain-core'].secrets = ['DB_PASSWORD'];
  compose.secrets = { DB_PASSWORD: { file: './unused-placeholder' } };
  const sopsRules = stringify({ creation_rules: [{ path_regex: `^secrets/${CLUSTER.id}(\\.enc\\.yaml|\\.d/)`, age: key.recipient }] });
  // The cluster's own file, made by the real sops from .sops.yaml, the value piped in.
  fs.mkdirSync(path.join(work, 'repo', 'secrets'), { recursive: true });
  fs.writeFileSync(path.join(work, 'repo', '.sops.yaml'), sopsRules);
  const ownFile = runTool(
    tools.sops,
    ['encrypt', '--input-type', 'yaml', '--output-type', 'yaml', '--filename-override', `secrets/${CLUSTER.id}.enc.yaml`],
    { cwd: path.join(work, 'repo'), input: stringify({ DB_PASSWORD: OLD }) },
  ).toString();
  v1 = await h.repo.commit(
    { ...files, 'compose/docker-compose.yml': stringify(compose), '.sops.yaml': sopsRules, [`secrets/${CLUSTER.id}.enc.yaml`]: ownFile },
    'fleet on v1 with its database password',
    { replaceAll: true },
  );
  // The whole status on a failure: its reasons say which cluster and gate halted it.
  expect(await h.rollout(v1, { source: 'cli', by: 'test' })).toMatchObject({ state: 'succeeded', reasons: [] });
  await operatorAdd('ada', 'operator');
  await operatorAdd('cy', 'approver');
  await h.serve(PORT, { LUCID_WEBHOOK_SECRET: 's'.repeat(32) });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

describe("a secret's value proposed in Chromium", () => {
  it('a name SOPS keeps for itself is refused on the form, which comes back without the value', async () => {
    const ada = await signedIn('ada');
    await ada.page.goto(`${BASE}/proposals/new`);
    const form = ada.page.getByRole('region', { name: "Set a cluster's secret" });
    await form.getByLabel('Title').fill('Overwrite the metadata');
    await form.getByLabel('Secret').fill('sops');
    await form.getByLabel('Value').fill(NEW);
    await form.getByRole('button', { name: 'Propose' }).click();
    await expect(ada.page.getByRole('alert').textContent()).resolves.toBe("Not proposed: name: 'sops' is where SOPS keeps its metadata");
    await expect(ada.page.locator('#s-secret').inputValue()).resolves.toBe('');
    expect(await ada.page.content()).not.toContain(NEW.slice(-16));
    expect(await (await ada.page.request.get(`${BASE}/api/proposals`)).json()).toEqual([]);
    await ada.context.close();
  });

  it('is sealed to the cluster by the console, never kept in clear, and after review reaches the service', async () => {
    expect(await h.fileInContainer(CLUSTER.id, 'blockchain-core', '/run/secrets/DB_PASSWORD')).toBe(OLD);
    const ada = await signedIn('ada');
    await ada.page.goto(`${BASE}/proposals/new`);
    const form = ada.page.getByRole('region', { name: "Set a cluster's secret" });
    await form.getByLabel('Title').fill('Rotate the database password');
    await form.getByLabel('Cluster').selectOption(CLUSTER.id);
    await form.getByLabel('Secret').fill('DB_PASSWORD');
    await form.getByLabel('Value').fill(NEW);
    await screenshot(ada.page, 'proposal-secret-new');
    await form.getByRole('button', { name: 'Propose' }).click();
    await ada.page.waitForURL(`${BASE}/proposals/1`);
    await expect(ada.page.locator('.state').textContent()).resolves.toMatch(/open/);
    const file = `secrets/${CLUSTER.id}.d/DB_PASSWORD.enc.yaml`;
    const diff = (await ada.page.getByRole('region', { name: 'Diff' }).textContent())!;
    expect(diff).toContain(file);
    expect(diff).toMatch(/DB_PASSWORD: ENC\[AES256_GCM,data:/);
    expect(await ada.page.content()).not.toContain(NEW.slice(-16));
    await screenshot(ada.page, 'proposal-secret-open');
    await ada.context.close();

    // The real sops opens the committed file with the cluster's key alone.
    const sealed = await git(['show', `refs/heads/proposals/1:${file}`], { cwd: h.repo.bareDir });
    const opened = runTool(secretTools().sops, ['decrypt', '--input-type', 'yaml', '--output-type', 'json'], {
      cwd: work,
      env: { SOPS_AGE_KEY_FILE: key.keyFile },
      input: sealed,
    });
    expect(JSON.parse(opened.toString())).toEqual({ DB_PASSWORD: NEW });

    // Only the sealed file: in the proposal's start input (history), its record, the git objects, the server's storage.
    const review = await reviewInHistory(h.client, 1);
    expect((review.started as { change: unknown }).change).toEqual({ kind: 'secret', cluster: CLUSTER.id, name: 'DB_PASSWORD', sealed });
    // The value's random tail is hex: wherever it were, in a JSON payload or a BSON string, it would be these bytes.
    const needle = NEW.slice(-16);
    const history = Buffer.concat(bytesIn(await h.client.workflow.getHandle('proposal-1').fetchHistory()));
    expect(history.includes('DB_PASSWORD')).toBe(true);
    expect(history.includes(needle)).toBe(false);
    expect(JSON.stringify(await h.db.collection('proposals').find({}).toArray())).not.toContain(needle);
    const objects = execFileSync('git', ['-C', h.repo.bareDir, 'cat-file', '--batch-all-objects', '--batch'], { maxBuffer: 64 << 20 });
    expect(objects.includes('DB_PASSWORD: ENC[AES256_GCM')).toBe(true);
    expect(objects.includes(needle)).toBe(false);
    const stores = ['temporal', 'ferretdb', 'postgres'].map((d) => path.join(h.stack.dataDir, d));
    expect(filesContaining([h.dataDir, ...stores], needle)).toEqual([]);

    const cy = await signedIn('cy');
    await cy.page.goto(`${BASE}/proposals/1`);
    await cy.page.getByRole('button', { name: 'Approve' }).click();
    await cy.page.getByRole('button', { name: 'Merge' }).waitFor();
    await cy.page.getByRole('button', { name: 'Merge' }).click();
    await cy.page.waitForURL(`${BASE}/proposals/1`);
    await expect(cy.page.locator('.state').textContent()).resolves.toMatch(/merged/);
    const merged = (await (await cy.page.request.get(`${BASE}/api/proposals/1`)).json()) as Proposal;
    await cy.page.goto(`${BASE}/rollouts/${merged.commit}`);
    await cy.page.locator('.state', { hasText: 'succeeded' }).waitFor({ timeout: 180_000 });
    await screenshot(cy.page, 'proposal-secret-rolled-out');
    await cy.context.close();
    expect(await h.fileInContainer(CLUSTER.id, 'blockchain-core', '/run/secrets/DB_PASSWORD')).toBe(NEW);
  });
});
