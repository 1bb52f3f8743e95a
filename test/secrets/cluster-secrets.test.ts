import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { sampleFleetFiles, type SampleCluster } from '../../demo/sample-fleet';
import { FleetHarness } from '../support/fleet-harness';
import { filesContaining } from '../support/files-containing';
import { generateAgeKey, runTool, secretTools, type AgeKey } from './secret-tools';

// sc-a has its own key; sc-b's worker holds only sc-b's key but its file is encrypted to sc-a.
const CLUSTERS: SampleCluster[] = [
  { id: 'sc-a', group: 'blockchain', profiles: ['blockchain'], wave: 'canary' },
  { id: 'sc-b', group: 'blockchain', profiles: ['blockchain'], wave: 'canary' },
];
const SECRET = `s3-secret-${randomBytes(12).toString('hex')}`;
let h: FleetHarness;
let keyA: AgeKey;
let keyB: AgeKey;
let work: string;
let secretsDir: string;

function sopsEncrypt(plain: Record<string, string>, recipient: string): string {
  fs.writeFileSync(path.join(work, 'plain.yaml'), stringify(plain));
  const out = runTool(secretTools().sops, ['encrypt', '--age', recipient, '--input-type', 'yaml', '--output-type', 'yaml', 'plain.yaml'], { cwd: work });
  fs.rmSync(path.join(work, 'plain.yaml'));
  return out.toString();
}

/** The sample fleet, with blockchain-core reading S3_SECRET_KEY as a Compose secret. */
function fleetWithSecrets(secrets: Record<string, string>): Record<string, string> {
  const files = sampleFleetFiles({ clusters: CLUSTERS, version: 'v1' });
  const compose = parse(files['compose/docker-compose.yml']!);
  compose.services['blockchain-core'].secrets = ['S3_SECRET_KEY'];
  compose.secrets = { S3_SECRET_KEY: { file: './unused-placeholder' } };
  return { ...files, 'compose/docker-compose.yml': stringify(compose), ...secrets };
}

beforeAll(async () => {
  const tools = secretTools();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-sops-'));
  keyA = generateAgeKey(tools, work, 'sc-a');
  keyB = generateAgeKey(tools, work, 'sc-b');
  secretsDir = fs.mkdtempSync('/dev/shm/lucid-test-secrets-');
  h = await FleetHarness.start('secrets', CLUSTERS);
  await h.startControlWorker();
  await h.startClusterWorker('sc-a', { ageIdentities: [keyA.identity], secretsDir });
  await h.startClusterWorker('sc-b', { ageIdentities: [keyB.identity], secretsDir });
});
afterAll(async () => {
  await h?.close();
  fs.rmSync(work, { recursive: true, force: true });
  fs.rmSync(secretsDir, { recursive: true, force: true });
});

describe('cluster secrets (SOPS/age) reach containers only as tmpfs files', () => {
  let good: string;

  it('a file made by the real sops decrypts on its own cluster and reaches the service as /run/secrets/<name>', async () => {
    good = await h.repo.commit(
      fleetWithSecrets({
        'secrets/sc-a.enc.yaml': sopsEncrypt({ S3_SECRET_KEY: SECRET }, keyA.recipient),
        'secrets/sc-b.enc.yaml': sopsEncrypt({ S3_SECRET_KEY: 'not for sc-b' }, keyA.recipient),
      }),
      'secrets for sc-a',
      { replaceAll: true },
    );
    expect((await h.reconcile('sc-a', good)).outcome).toBe('healthy');
    const core = (await h.containers('sc-a')).find((c) => c.service === 'blockchain-core')!;
    expect(await h.fileInContainer('sc-a', 'blockchain-core', '/run/secrets/S3_SECRET_KEY')).toBe(SECRET);

    const info = await h.docker.getContainer(core.id).inspect();
    const mount = info.Mounts.find((m) => m.Destination === '/run/secrets/S3_SECRET_KEY')!;
    expect(mount.Source.startsWith(secretsDir)).toBe(true);
    expect(fs.statfsSync(mount.Source).type).toBe(0x01021994);
  });

  it('the value appears nowhere: not under the data dir, not in docker inspect, not in Temporal or FerretDB storage', async () => {
    const stores = ['temporal', 'ferretdb', 'postgres'].map((d) => path.join(h.stack.dataDir, d));
    expect(filesContaining([h.dataDir, ...stores], SECRET)).toEqual([]);
    for (const c of await h.containers('sc-a')) {
      expect(JSON.stringify(await h.docker.getContainer(c.id).inspect())).not.toContain(SECRET);
    }
  });

  it('the wrong cluster\'s key is refused with a clear error and nothing is applied', async () => {
    const result = await h.reconcile('sc-b', good);
    expect(result.outcome).toBe('invalid');
    expect(result.rejection).toMatchObject({ file: 'secrets/sc-b.enc.yaml' });
    expect(result.rejection!.reason).toMatch(/identit|recipient/i);
    expect(await h.containers('sc-b')).toEqual([]);
  });

  it('a flipped byte in the encrypted value is refused and the running containers stay untouched', async () => {
    const before = (await h.containers('sc-a')).map((c) => `${c.id} ${c.startedAt}`);
    const enc = sopsEncrypt({ S3_SECRET_KEY: `${SECRET}-rotated` }, keyA.recipient);
    const tampered = enc.replace(/ENC\[AES256_GCM,data:(.)/, (_m, ch: string) => `ENC[AES256_GCM,data:${ch === 'A' ? 'B' : 'A'}`);
    const bad = await h.repo.commit({ 'secrets/sc-a.enc.yaml': tampered }, 'tampered secret');
    const result = await h.reconcile('sc-a', bad);
    expect(result.outcome).toBe('invalid');
    expect(result.rejection?.file).toBe('secrets/sc-a.enc.yaml');
    expect((await h.containers('sc-a')).map((c) => `${c.id} ${c.startedAt}`)).toEqual(before);
  });

  it('a declared secret the cluster\'s file lacks is refused', async () => {
    const missing = await h.repo.commit(
      { 'secrets/sc-a.enc.yaml': sopsEncrypt({ OTHER_KEY: 'x' }, keyA.recipient) },
      'secret renamed in the file only',
    );
    const result = await h.reconcile('sc-a', missing);
    expect(result).toMatchObject({ outcome: 'invalid', rejection: { file: 'compose/docker-compose.yml', field: 'secrets.S3_SECRET_KEY' } });
  });

  it('a rotated value recreates the services that read it, and only those; the old value leaves RAM', async () => {
    const before = new Map((await h.containers('sc-a')).map((c) => [c.service, c]));
    const oldMount = (await h.docker.getContainer(before.get('blockchain-core')!.id).inspect()).Mounts.find((m) => m.Destination === '/run/secrets/S3_SECRET_KEY')!;
    const rotated = await h.repo.commit({ 'secrets/sc-a.enc.yaml': sopsEncrypt({ S3_SECRET_KEY: `${SECRET}-rotated` }, keyA.recipient) }, 'rotate S3_SECRET_KEY');
    expect((await h.reconcile('sc-a', rotated)).outcome).toBe('healthy');
    expect(await h.fileInContainer('sc-a', 'blockchain-core', '/run/secrets/S3_SECRET_KEY')).toBe(`${SECRET}-rotated`);
    const after = await h.containers('sc-a');
    for (const c of after) {
      if (c.service === 'blockchain-core') expect(c.id).not.toBe(before.get(c.service)!.id);
      else expect(`${c.id} ${c.startedAt}`).toBe(`${before.get(c.service)!.id} ${before.get(c.service)!.startedAt}`);
    }
    expect(fs.existsSync(oldMount.Source)).toBe(false);
  });
});
