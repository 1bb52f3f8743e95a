import { ProposalRefused } from '../../repo/proposal-branch';
import { applyChange, describeChange, proposalFormSchema } from '../../services/console/proposal-changes';

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
        new ProposalRefused('key', `${key} is a secret (enc:sops in .env, its value in secrets/<id>.enc.yaml): it is not proposed as an .env value`),
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

  it('reads the form: empty fields are unchanged, lists split on commas and spaces, and bad input names its field', () => {
    const form = { csrf: 't', title: ' Move ', kind: 'cluster', cluster: 'pi-a', wave: '', profiles: 'blockchain, node', labels: 'site=lab hardware=pi5' };
    const parsed = proposalFormSchema.parse(form);
    expect(parsed).toEqual({ title: 'Move', change: { kind: 'cluster', cluster: 'pi-a', wave: undefined, profiles: ['blockchain', 'node'], labels: { site: 'lab', hardware: 'pi5' } } });
    expect(describeChange(parsed.change)).toBe('cluster pi-a: profiles blockchain, node; labels site=lab hardware=pi5');
    const issue = (f: object) => {
      const r = proposalFormSchema.safeParse(f);
      return r.success ? undefined : [r.error.issues[0]!.path.join('.'), r.error.issues[0]!.message];
    };
    expect(issue({ ...form, wave: '', profiles: '', labels: '' })).toEqual(['wave', 'a cluster change needs a wave, profiles or labels']);
    expect(issue({ ...form, profiles: 'gpu' })).toEqual(['profiles.0', expect.stringMatching(/^unknown profile 'gpu'/)]);
    expect(issue({ ...form, labels: 'site' })).toEqual(['labels.0', 'must be key=value pairs, such as site=lab hardware=pi5']);
    expect(issue({ title: 'x', kind: 'image', service: 'web', image: 'a b' })).toEqual(['image', 'must be an image reference without spaces or $']);
    expect(issue({ title: 'x', kind: 'image', service: 'web' })).toEqual(['image', 'is empty']);
    expect(issue({ title: 'x', kind: 'secret' })).toEqual(['kind', "must be 'cluster', 'image' or 'env'"]);
    expect(issue({ title: 'x', kind: 'env', cluster: 'pi-a', key: 'A', value: 'a b' })).toEqual(['value', 'must be a literal value without spaces, quotes, \\, $ or #']);
    expect(issue({ title: 'x', kind: 'env', cluster: 'pi-a', key: '1A', value: 'a' })?.[0]).toBe('key');
    expect(proposalFormSchema.parse({ title: 'x', kind: 'env', cluster: 'pi-a', key: 'A', value: '' }).change).toEqual({ kind: 'env', cluster: 'pi-a', key: 'A', value: '' });
    expect(issue({ ...form, extra: 1 })?.[0]).toBe('');
  });
});
