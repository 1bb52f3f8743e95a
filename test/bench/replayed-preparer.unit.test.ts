import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CommitPreparer } from '../../activities/cluster/commit-preparer';
import { ConfigError } from '../../config/config-error';
import type { Latencies } from '../../bench/sim/latency-sampling';
import { replayedPreparer, sharedPerCommit } from '../../bench/sim/replayed-preparer';

const SHA = 'a'.repeat(40);
const latencies: Latencies = {
  recordedAt: 'now',
  host: { cpus: 2, model: 'test' },
  runs: 1,
  fleetClusters: 2,
  samplesMs: { resolve: [0], up: [0], healthy: [0], probe: [0], down: [0], fetch: [1], prepare: [1] },
};

/** A group's real preparer as far as the replay can tell: it renders a file and counts its runs. */
function countingPreparer(dir: string, refuse = false) {
  const runs = { fetch: 0, prepare: 0 };
  const real: CommitPreparer = {
    renderedFile: (sha) => path.join(dir, 'template', 'rendered', `${sha}.json`),
    async fetch(sha) {
      runs.fetch++;
      return { sha, author: 'a', message: 'm' } as never;
    },
    async prepare(sha) {
      runs.prepare++;
      await new Promise((r) => setTimeout(r, 5));
      if (refuse) throw new ConfigError('clusters.yaml', 'clusters.x', 'refused');
      fs.mkdirSync(path.dirname(real.renderedFile(sha)), { recursive: true });
      fs.writeFileSync(real.renderedFile(sha), `{"services":{"web":{"image":"r/web@sha256:1"}}}`);
      return [{ name: 'web', image: 'r/web@sha256:1', configHash: 'h' }] as never;
    },
  };
  return { real, runs };
}

describe('replayed Pi work', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'replayed-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("runs the group's real fetch and prepare once for many clusters and gives each its own rendered project", async () => {
    const { real, runs } = countingPreparer(dir);
    const template = sharedPerCommit(real);
    const clusters = ['c1', 'c2', 'c3'].map((id) => replayedPreparer({ template, stateDir: path.join(dir, id), latencies, random: Math.random }));
    await Promise.all([template, ...clusters].map((p) => p.fetch(SHA)));
    const services = await Promise.all([template, ...clusters].map((p) => p.prepare(SHA)));
    expect(runs).toEqual({ fetch: 1, prepare: 1 });
    for (const s of services) expect(s).toEqual([{ name: 'web', image: 'r/web@sha256:1', configHash: 'h' }]);
    for (const c of clusters) {
      expect(c.renderedFile(SHA).startsWith(dir)).toBe(true);
      expect(fs.readFileSync(c.renderedFile(SHA), 'utf8')).toBe(fs.readFileSync(real.renderedFile(SHA), 'utf8'));
    }
  });

  it("refuses a commit on every cluster its group's real gates refuse, and runs them again on a retry", async () => {
    const { real, runs } = countingPreparer(dir, true);
    const template = sharedPerCommit(real);
    const c1 = replayedPreparer({ template, stateDir: path.join(dir, 'c1'), latencies, random: Math.random });
    await expect(c1.prepare(SHA)).rejects.toThrow(ConfigError);
    await expect(template.prepare(SHA)).rejects.toThrow('refused');
    expect(runs.prepare).toBe(2);
    expect(fs.existsSync(c1.renderedFile(SHA))).toBe(false);
  });
});
