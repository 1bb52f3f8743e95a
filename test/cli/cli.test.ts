import { spawn } from 'node:child_process';
import * as path from 'node:path';
import type { SampleCluster } from '../../demo/sample-fleet';
import { toolPaths } from '../../services/stack/tool-paths';
import { sampleFleetFiles } from '../../demo/sample-fleet';
import { stackDir } from '../../services/stack/stack-state';
import { ManagedProcess, portOpen } from '../../services/stack/managed-process';
import { FleetHarness } from '../support/fleet-harness';

const CLUSTERS: SampleCluster[] = [
  { id: 'cl-bc', group: 'blockchain', profiles: ['blockchain'], wave: 'canary' },
  { id: 'cl-ss', group: 'sessions', profiles: ['sessions'], wave: 'core' },
];
let h: FleetHarness;
let head: string;
// MinIO (when bootstrap --all built it) on a port of this run's, not dev up's 9000.
const s3Port = () => String(h.stack.registryPort + 1520);

async function json<T>(args: string[], code = 0): Promise<T> {
  const out = await h.cli(args);
  if (out.code !== code) throw new Error(`lucid ${args.join(' ')} exited ${out.code}, wanted ${code}: ${out.stderr}`);
  return JSON.parse(out.stdout) as T;
}

type Component = { name: string; embedded: boolean; running: boolean; address?: string };

beforeAll(async () => {
  h = await FleetHarness.start('cli', CLUSTERS);
  head = await h.commit({ version: 'v1' }, 'fleet on v1');
});
afterAll(async () => {
  await h?.cli(['dev', 'down']);
  await h?.close();
});

describe('lucid CLI', () => {
  it('dev up with external Temporal and MongoDB starts only the workers, one per cluster', async () => {
    const status = await json<Component[]>(['dev', 'up', '--repo', h.repo.bareDir, '--s3-port', s3Port(), '--poll-seconds', '3600', '--json']);
    expect(status.find((c) => c.name === 'temporal')).toMatchObject({ embedded: false, running: true, address: h.stack.temporalAddress });
    expect(status.find((c) => c.name === 'mongodb')).toMatchObject({ embedded: false, running: true });
    expect(status.find((c) => c.name === 'ferretdb')).toBeUndefined();
    for (const w of ['worker:control', 'worker:cluster:cl-bc', 'worker:cluster:cl-ss', 'worker:node:node-1', 'worker:wallet']) {
      expect(status.find((c) => c.name === w)).toMatchObject({ embedded: true, running: true });
    }
    expect(await json<Component[]>(['dev', 'status', '--json'])).toEqual(status);
  });

  it('cluster reconcile --wait --json converges the branch head and exits 0', async () => {
    const result = await json<{ outcome: string; commit: string; workflowId: string }>([
      'cluster', 'reconcile', 'cl-bc', '--wait', '--json',
    ]);
    expect(result).toMatchObject({ outcome: 'healthy', commit: head, workflowId: `reconcile-cl-bc-${head}` });
  });

  it('cluster status --json has the documented shape, read through the cluster worker', async () => {
    const status = await json<Record<string, unknown>>(['cluster', 'status', 'cl-bc', '--json']);
    expect(Object.keys(status).sort()).toEqual(['appliedCommit', 'desiredCommit', 'healthy', 'id', 'lastGoodCommit', 'reachable', 'services']);
    expect(status).toMatchObject({ id: 'cl-bc', reachable: true, desiredCommit: head, appliedCommit: head, lastGoodCommit: head, healthy: true });
    const services = status.services as Array<Record<string, string>>;
    expect(services.map((s) => s.name)).toEqual(['beta', 'blockchain-core', 'blockchain-ledger']);
    for (const s of services) {
      expect(Object.keys(s).sort()).toEqual(['health', 'image', 'name', 'state']);
      expect(s).toMatchObject({ image: 'lucid-local/demo-app:v1', state: 'running', health: 'healthy' });
    }
  });

  it('cluster list --json lists the inventory with recorded commits', async () => {
    const rows = await json<Array<Record<string, unknown>>>(['cluster', 'list', '--json']);
    expect(rows.map((r) => r.id)).toEqual(['cl-bc', 'cl-ss']);
    expect(rows[0]).toMatchObject({ group: 'blockchain', wave: 'canary', appliedCommit: head, lastGoodCommit: head });
    expect(rows[1]).toMatchObject({ group: 'sessions', appliedCommit: null });
  });

  it('cluster reconcile exits 3 when the commit was rolled back', async () => {
    const bad = await h.commit({ version: 'v2', failing: ['blockchain-core'] }, 'broken core');
    const result = await json<{ outcome: string; rolledBackTo: string; failure: { service: string } }>(
      ['cluster', 'reconcile', 'cl-bc', '--commit', bad.slice(0, 10), '--wait', '--health-timeout', '30', '--json'],
      3,
    );
    expect(result).toMatchObject({ outcome: 'rolled_back', rolledBackTo: head, failure: { service: 'blockchain-core' } });
  });

  it('dev up again after a cluster left the inventory stops that cluster\'s worker', async () => {
    await h.repo.commit(sampleFleetFiles({ clusters: [CLUSTERS[0]!], version: 'v1' }), 'cl-ss leaves the fleet', { replaceAll: true });
    const status = await json<Component[]>(['dev', 'up', '--s3-port', s3Port(), '--poll-seconds', '3600', '--json']);
    expect(status.map((c) => c.name)).not.toContain('worker:cluster:cl-ss');
    expect(status.find((c) => c.name === 'worker:cluster:cl-bc')).toMatchObject({ running: true });
    expect(new ManagedProcess('worker-cluster-cl-ss', stackDir(h.dataDir)).running()).toBe(false);
  });

  it('cluster status of a cluster whose worker is down says so and is not healthy', async () => {
    // Back in the inventory (status refuses clusters that are not), but nothing runs its worker.
    await h.repo.commit(sampleFleetFiles({ clusters: CLUSTERS, version: 'v1' }), 'cl-ss back in the fleet', { replaceAll: true });
    await h.cli(['dev', 'down']);
    const out = await h.cli(['cluster', 'status', 'cl-ss', '--json']);
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ id: 'cl-ss', reachable: false, healthy: false, services: [] });
    expect(out.stderr).toMatch(/worker did not answer/);
  });

  it('dev up refuses a port another stack already holds instead of taking that server for its own', async () => {
    const { TEMPORAL_ADDRESS: _t, MONGO_URL: _m, ...env } = h.env;
    const out = await new Promise<{ code: number; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [toolPaths().lucidCli, 'dev', 'up', '--temporal-port', String(h.stack.temporalPort)], {
        env: { ...env, LUCID_DATA_DIR: path.join(h.dataDir, 'second-stack') },
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code: code ?? -1, stderr }));
    });
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(new RegExp(`port ${h.stack.temporalPort} on 127.0.0.1 is already in use`));
  });

  it('dev down stopped only what dev up started', async () => {
    const status = await json<Component[]>(['dev', 'status', '--json']);
    for (const w of status.filter((c) => c.name.startsWith('worker:'))) expect(w.running).toBe(false);
    const [host, port] = h.stack.temporalAddress.split(':');
    expect(await portOpen(host!, Number(port))).toBe(true);
  });
});
