import type { SampleCluster } from '../../demo/sample-fleet';
import { FleetHarness } from '../support/fleet-harness';

/**
 * Issue 9 item 7: `cluster status` of an id that is not a cluster is bad input,
 * answered at once, not an empty status after waiting 15 s for a worker that
 * cannot exist.
 */
const CLUSTERS: SampleCluster[] = [
  { id: 'st-a', group: 'blockchain', profiles: ['blockchain'], wave: 'canary' },
  { id: 'st-b', group: 'sessions', profiles: ['sessions'], wave: 'core' },
];
/** Well under the 15 s the status waits for a cluster's worker. */
const AT_ONCE_MS = 8000;
let h: FleetHarness;
let head: string;

beforeAll(async () => {
  h = await FleetHarness.start('cluster-status', CLUSTERS);
  head = await h.commit({ version: 'v1' }, 'v1');
});
afterAll(() => h?.close());

async function timedCli(args: string[]) {
  const t0 = Date.now();
  const out = await h.cli(args);
  return { ...out, ms: Date.now() - t0 };
}

describe('lucid cluster status of something that is not a cluster', () => {
  it.each(['../x', 'ST-A', '-x', 'a/b'])('refuses the malformed id %j with exit 2 at once, naming it', async (id) => {
    const out = await timedCli(['cluster', 'status', '--json', '--', id]);
    expect(out.code).toBe(2);
    expect(out.ms).toBeLessThan(AT_ONCE_MS);
    expect(JSON.parse(out.stdout).error.message).toBe(
      `<id>: ${JSON.stringify(id)} must be lowercase letters, digits and dashes (max 40), starting alphanumeric; refused before it reaches git, a path or a task queue`,
    );
  });

  it('refuses an id that is not in the inventory at the branch head with exit 2 at once, listing the clusters', async () => {
    const out = await timedCli(['cluster', 'status', 'nope', '--json']);
    expect(out.code).toBe(2);
    expect(out.ms).toBeLessThan(AT_ONCE_MS);
    expect(JSON.parse(out.stdout).error.message).toBe(`no cluster 'nope' in clusters/clusters.yaml at ${head} (clusters: st-a, st-b)`);
  });
});
