/**
 * policies/runtime.yaml end to end: a commit whose containers could take the
 * Pi is refused by `lucid policy check` (exit 4), by a rollout (before wave 1)
 * and by the cluster itself, with its containers untouched; an allowance for
 * the service by name lets the same field through, and it really applies.
 */
import { parse, stringify } from 'yaml';
import { sampleFleetFiles, type SampleCluster } from '../../demo/sample-fleet';
import { clusterQueue } from '../../workflows/task-queues';
import { FleetHarness } from '../support/fleet-harness';

const CLUSTER: SampleCluster = { id: 'rt-a', group: 'blockchain', profiles: ['blockchain'], wave: 'canary' };
const COMPOSE = 'compose/docker-compose.yml';
const ENV = `clusters/${CLUSTER.id}/.env`;
let h: FleetHarness;

/** The sample fleet with `fields` added to one service, and other files over it. */
function fleet(service: string, fields: Record<string, unknown>, over: Record<string, string> = {}): Record<string, string> {
  const files = sampleFleetFiles({ clusters: [CLUSTER], version: 'v1' });
  const compose = parse(files[COMPOSE]!) as { services: Record<string, Record<string, unknown>> };
  Object.assign(compose.services[service]!, fields);
  return { ...files, [COMPOSE]: stringify(compose), ...over };
}

beforeAll(async () => {
  h = await FleetHarness.start('runtime-policy', [CLUSTER]);
  await h.startControlWorker();
  await h.startClusterWorker(CLUSTER.id);
});
afterAll(() => h?.close());

describe('the runtime policy (policies/runtime.yaml)', () => {
  it('the sample fleet passes the safe default and rolls out', async () => {
    const sha = await h.repo.commit(fleet('beta', {}), 'sample fleet', { replaceAll: true });
    expect((await h.cli(['policy', 'check', '--commit', sha])).code).toBe(0);
    expect((await h.rollout(sha)).state).toBe('succeeded');
  });

  const cases: Array<[string, Record<string, string>, string, RegExp]> = [
    ['privileged: true', fleet('blockchain-core', { privileged: true }), 'services.blockchain-core.privileged', /root on the Pi/],
    ['a bind of the Docker socket', fleet('beta', { volumes: ['/var/run/docker.sock:/var/run/docker.sock'] }), 'services.beta.volumes', /takes the Pi/],
    ['network_mode: host', fleet('blockchain-ledger', { network_mode: 'host' }), 'services.blockchain-ledger.network_mode', /'host'/],
    ['cap_add: [SYS_ADMIN]', fleet('beta', { cap_add: ['SYS_ADMIN'] }), 'services.beta.cap_add', /SYS_ADMIN/],
    ['a published host port', fleet('beta', { ports: ['8080:8080'] }), 'services.beta.ports', /publishes a port/],
    [
      'privileged through ${PRIV} from the cluster .env',
      fleet('beta', { privileged: '${PRIV}' }, { [ENV]: `${sampleFleetFiles({ clusters: [CLUSTER] })[ENV]}PRIV=true\n` }),
      'services.beta.privileged',
      /interpolation/,
    ],
    ['a port allowed only for another service', fleet('beta', { ports: ['8080:8080'] }, { 'policies/runtime.yaml': 'allow:\n  tor: [ports]\n' }), 'services.beta.ports', /'beta'/],
  ];

  it.each(cases)('%s: refused by policy check, the rollout and the cluster; nothing changes', async (_name, files, field, reason) => {
    const before = (await h.containers(CLUSTER.id)).map((c) => `${c.id} ${c.startedAt} ${c.state}`);
    expect(before).toHaveLength(3);
    const sha = await h.repo.commit(files, 'a container that takes the Pi', { replaceAll: true });
    const refusal = { file: COMPOSE, field, reason: expect.stringMatching(reason) };

    const check = await h.cli(['policy', 'check', '--commit', sha, '--json']);
    expect(check.code).toBe(4);
    expect(JSON.parse(check.stdout)).toMatchObject({ commit: sha, passed: false, refusal });

    const status = await h.rollout(sha);
    expect(status.state).toBe('halted');
    expect(status.reasons.join('\n')).toMatch(reason);
    // Refused before wave 1: no cluster was asked to reconcile it.
    expect(status.waves.every((w) => w.clusters.every((c) => c.state === 'pending'))).toBe(true);

    const direct = await h.reconcile(CLUSTER.id, sha);
    expect(direct.outcome).toBe('invalid');
    expect(direct.rejection).toMatchObject(refusal);
    expect((await h.containers(CLUSTER.id)).map((c) => `${c.id} ${c.startedAt} ${c.state}`)).toEqual(before);
  });

  it('an allowance for the service by name lets its port through, and the port is published', async () => {
    const sha = await h.repo.commit(fleet('beta', { ports: ['127.0.0.1::8080'] }, { 'policies/runtime.yaml': 'allow:\n  beta: [ports]\n' }), 'beta publishes', {
      replaceAll: true,
    });
    const check = await h.cli(['policy', 'check', '--commit', sha, '--json']);
    expect(check.code).toBe(0);
    expect((await h.rollout(sha)).state).toBe('succeeded');
    const beta = (await h.containers(CLUSTER.id)).find((c) => c.service === 'beta')!;
    const ports = (await h.docker.getContainer(beta.id).inspect()).NetworkSettings.Ports['8080/tcp'];
    expect(ports?.[0]).toMatchObject({ HostIp: '127.0.0.1', HostPort: expect.stringMatching(/^\d+$/) });
  });

  it("a container cannot read the worker's own environment through interpolation", async () => {
    // A Pi's worker, as its own process, holding a secret in its environment.
    await h.stopWorker(`cluster:${CLUSTER.id}`);
    const secret = 'AGE-SECRET-KEY-1THEWORKERSOWNKEYNEVERINACONTAINER';
    h.spawnWorker('cluster', CLUSTER.id, { LUCID_AGE_IDENTITY_TEST: secret, MONGO_RS: 'from-the-worker' });
    await h.untilServed(clusterQueue(CLUSTER.id));
    const sha = await h.repo.commit(fleet('beta', { environment: { SERVICE: 'beta', KEY: '${LUCID_AGE_IDENTITY_TEST}', RS: '${MONGO_RS}' } }), 'reads the worker env', {
      replaceAll: true,
    });
    expect((await h.reconcile(CLUSTER.id, sha)).outcome).toBe('healthy');
    const beta = (await h.containers(CLUSTER.id)).find((c) => c.service === 'beta')!;
    const env = (await h.docker.getContainer(beta.id).inspect()).Config.Env;
    // Only the cluster's .env feeds Compose: the worker's variable is unset, the .env's MONGO_RS wins.
    expect(env).toEqual(expect.arrayContaining(['KEY=', 'RS=rs0']));
    expect(env.join('\n')).not.toContain(secret);
  });
});
