import { generateKeyPairSync } from 'node:crypto';
import { ProposalRefused } from '../../repo/proposal-branch';
import type { ProposalChange } from '../../common/proposal-change';
import { applyChange, describeChange, proposalFormSchema } from '../../services/console/proposal-changes';
import { sealSecret } from '../../services/console/secret-sealing';
import { encodeBech32 } from '../../secrets/bech32';
import { ageRecipientOf } from '../../secrets/age-decrypt';
import { decryptSopsYaml } from '../../secrets/sops-decrypt';

/** An age X25519 key pair made here: the sealing needs only the recipient, the check opens it with the identity. */
function ageKey(): { identity: string; recipient: string } {
  const raw = generateKeyPairSync('x25519').privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32);
  const identity = encodeBech32('AGE-SECRET-KEY-', raw).toUpperCase();
  return { identity, recipient: ageRecipientOf(identity) };
}

const BASE = 'a'.repeat(40);
const INVENTORY = `# the lab fleet
clusters:
  - id: pi-a # first Pi
    group: blockchain
    profiles: [blockchain]
    wave: canary
    labels: { site: lab }
    env: clusters/pi-a/.env
  - id: pi-b
    group: sessions
    profiles: [sessions]
    wave: core
    env: clusters/pi-b/.env
`;
const COMPOSE = `services:
  web:
    image: registry.test/web@sha256:${'1'.repeat(64)} # pinned
    init: true
`;

const ENV = 'CLUSTER_ID=pi-b\nPROFILES=sessions # the Pi\nS3_ACCESS_KEY=enc:sops\nAPI_TOKEN="enc:sops"\n';
const files: Record<string, string> = { 'clusters/clusters.yaml': INVENTORY, 'compose/docker-compose.yml': COMPOSE, 'clusters/pi-b/.env': ENV };
const read = async (file: string) => files[file] ?? Promise.reject(new Error(`no ${file}`));
const edit = (change: Parameters<typeof applyChange>[0]) => applyChange(change, read, BASE);

describe('proposal changes', () => {
  it('edits one cluster of clusters.yaml and keeps the comments and the rest of the file', async () => {
    const out = (await edit({ kind: 'cluster', cluster: 'pi-b', wave: 'canary', profiles: ['sessions', 'node'], labels: { site: 'field', hardware: 'pi4' } }))[
      'clusters/clusters.yaml'
    ]!;
    expect(out).toContain('# the lab fleet');
    expect(out).toContain('- id: pi-a # first Pi');
    expect(out).toContain('wave: canary\n    labels: { site: lab }');
    expect(out).toMatch(/- id: pi-b\n {4}group: sessions\n {4}profiles: \[ sessions, node \]\n {4}wave: canary\n {4}env: clusters\/pi-b\/.env\n {4}labels:\n {6}site: field\n {6}hardware: pi4\n$/);
  });

  it("changes a service's image and nothing else", async () => {
    await expect(edit({ kind: 'image', service: 'web', image: 'registry.test/web:v2' })).resolves.toEqual({
      'compose/docker-compose.yml': 'services:\n  web:\n    image: registry.test/web:v2 # pinned\n    init: true\n',
    });
  });

  it(".env: sets a value in its line or adds it, in the file clusters.yaml names, and refuses a secret's variable", async () => {
    await expect(edit({ kind: 'env', cluster: 'pi-b', key: 'PROFILES', value: 'sessions,node' })).resolves.toEqual({
      'clusters/pi-b/.env': 'CLUSTER_ID=pi-b\nPROFILES=sessions,node\nS3_ACCESS_KEY=enc:sops\nAPI_TOKEN="enc:sops"\n',
    });
    await expect(edit({ kind: 'env', cluster: 'pi-b', key: 'TRON_MODE', value: 'mainnet' })).resolves.toEqual({ 'clusters/pi-b/.env': `${ENV}TRON_MODE=mainnet\n` });
    for (const key of ['S3_ACCESS_KEY', 'S3_SECRET_KEY', 'API_TOKEN']) {
      await expect(edit({ kind: 'env', cluster: 'pi-b', key, value: 'hunter2' })).rejects.toThrow(
        new ProposalRefused('key', `${key} is a secret (enc:sops in .env): propose its value as a secret, sealed to the cluster, not as an .env value`),
      );
    }
  });

  it('refuses a cluster or service the file does not have, naming the field and the base', async () => {
    await expect(edit({ kind: 'cluster', cluster: 'pi-z', wave: 'core' })).rejects.toThrow(
      new ProposalRefused('cluster', `'pi-z' is not in clusters/clusters.yaml at ${'a'.repeat(12)}`),
    );
    await expect(edit({ kind: 'env', cluster: 'pi-z', key: 'A', value: 'b' })).rejects.toThrow(/^cluster: 'pi-z' is not in clusters\/clusters.yaml/);
    await expect(edit({ kind: 'image', service: 'db', image: 'x' })).rejects.toThrow(/^service: 'db' is not a service of compose\/docker-compose.yml/);
  });

  it('a secret: sealed to the recipients .sops.yaml names for secrets/<id>.d/<NAME>.enc.yaml, which the change writes', async () => {
    const [a, b] = [ageKey(), ageKey()];
    const sopsRules = `creation_rules:\n  - path_regex: ^secrets/pi-a(\\.enc\\.yaml|\\.d/)\n    age: ${a.recipient},${b.recipient}\n`;
    const readWith = async (file: string) => (file === '.sops.yaml' ? sopsRules : read(file));
    const change = await sealSecret({ kind: 'plain-secret', cluster: 'pi-a', name: 'DB_PASSWORD', value: 'hunter2' }, readWith);
    if (change.kind !== 'secret') throw new Error('not sealed');
    expect(change.sealed).not.toContain('hunter2');
    expect(decryptSopsYaml(change.sealed, [b.identity], 'sealed')).toEqual({ DB_PASSWORD: 'hunter2' });
    await expect(edit(change)).resolves.toEqual({ 'secrets/pi-a.d/DB_PASSWORD.enc.yaml': change.sealed });
    await expect(edit({ ...change, cluster: 'pi-z' })).rejects.toThrow(/^cluster: 'pi-z' is not in clusters\/clusters.yaml/);
    await expect(edit({ ...change, sealed: `${change.sealed}OTHER: x\n` })).rejects.toThrow(
      new ProposalRefused('secret', 'secrets/pi-a.d/DB_PASSWORD.enc.yaml must hold DB_PASSWORD and its SOPS metadata alone'),
    );
    // No rule for pi-b, and no .sops.yaml at all: refused before anything is sealed.
    await expect(sealSecret({ kind: 'plain-secret', cluster: 'pi-b', name: 'T', value: 'v' }, readWith)).rejects.toThrow(
      new ProposalRefused('.sops.yaml', "creation_rules: no rule's path_regex matches secrets/pi-b.d/T.enc.yaml"),
    );
    const withoutRules = async (file: string) => (file === '.sops.yaml' ? Promise.reject(new ProposalRefused('file', 'not there')) : read(file));
    await expect(sealSecret({ kind: 'plain-secret', cluster: 'pi-a', name: 'T', value: 'v' }, withoutRules)).rejects.toThrow(
      new ProposalRefused('.sops.yaml', 'is not in the config repo: it names the age recipients secrets/pi-a.d/T.enc.yaml is sealed to'),
    );
  });

  it('reads the form: empty fields are unchanged, lists split on commas and spaces, and bad input names its field', () => {
    const form = { csrf: 't', title: ' Move ', kind: 'cluster', cluster: 'pi-a', wave: '', profiles: 'blockchain, node', labels: 'site=lab hardware=pi5' };
    const parsed = proposalFormSchema.parse(form);
    expect(parsed).toEqual({ title: 'Move', change: { kind: 'cluster', cluster: 'pi-a', wave: undefined, profiles: ['blockchain', 'node'], labels: { site: 'lab', hardware: 'pi5' } } });
    expect(describeChange(parsed.change as ProposalChange)).toBe('cluster pi-a: profiles blockchain, node; labels site=lab hardware=pi5');
    const issue = (f: object) => {
      const r = proposalFormSchema.safeParse(f);
      return r.success ? undefined : [r.error.issues[0]!.path.join('.'), r.error.issues[0]!.message];
    };
    expect(issue({ ...form, wave: '', profiles: '', labels: '' })).toEqual(['wave', 'a cluster change needs a wave, profiles or labels']);
    expect(issue({ ...form, profiles: 'gpu' })).toEqual(['profiles.0', expect.stringMatching(/^unknown profile 'gpu'/)]);
    expect(issue({ ...form, labels: 'site' })).toEqual(['labels.0', 'must be key=value pairs, such as site=lab hardware=pi5']);
    expect(issue({ title: 'x', kind: 'image', service: 'web', image: 'a b' })).toEqual(['image', 'must be an image reference without spaces or $']);
    expect(issue({ title: 'x', kind: 'image', service: 'web' })).toEqual(['image', 'is empty']);
    expect(issue({ title: 'x', kind: 'vault' })).toEqual(['kind', "must be 'cluster', 'image', 'env' or 'secret'"]);
    expect(issue({ title: 'x', kind: 'secret', cluster: 'pi-a', name: 'DB_PASSWORD' })).toEqual(['secret', 'is empty']);
    const secret = { title: 'x', kind: 'secret', cluster: 'pi-a', name: 'DB_PASSWORD', secret: 'hunter2 "quoted"\r\nline 2' };
    for (const [name, reason] of [
      ['a/b', expect.stringMatching(/^must be letters, digits/)],
      ['..', expect.stringMatching(/^must be letters, digits/)],
      ['sops', "'sops' is where SOPS keeps its metadata"],
      ['TOKEN_unencrypted', 'SOPS leaves a name ending in _unencrypted in clear'],
    ]) {
      expect(issue({ ...secret, name })).toEqual(['name', reason]);
    }
    // A textarea's CRLF line breaks are the value's LF; the reasons never quote the value.
    expect(proposalFormSchema.parse(secret).change).toEqual({ kind: 'plain-secret', cluster: 'pi-a', name: 'DB_PASSWORD', value: 'hunter2 "quoted"\nline 2' });
    expect(issue({ ...secret, secret: 'x'.repeat(4097) })).toEqual(['secret', 'is longer than 4096 characters']);
    expect(issue({ title: 'x', kind: 'env', cluster: 'pi-a', key: 'A', value: 'a b' })).toEqual(['value', 'must be a literal value without spaces, quotes, \\, $ or #']);
    expect(issue({ title: 'x', kind: 'env', cluster: 'pi-a', key: '1A', value: 'a' })?.[0]).toBe('key');
    expect(proposalFormSchema.parse({ title: 'x', kind: 'env', cluster: 'pi-a', key: 'A', value: '' }).change).toEqual({ kind: 'env', cluster: 'pi-a', key: 'A', value: '' });
    expect(issue({ ...form, extra: 1 })?.[0]).toBe('');
  });
});
