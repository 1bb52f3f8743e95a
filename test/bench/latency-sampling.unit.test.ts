import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadLatencies, sampleLatency, seededRandom } from '../../bench/sim/latency-sampling';

describe('latency sampling', () => {
  it('draws only measured values, each about as often as it was measured', () => {
    const samples = [100, 200, 200, 900];
    const random = seededRandom(7);
    const counts = new Map<number, number>();
    for (let i = 0; i < 8000; i++) {
      const ms = sampleLatency(samples, random);
      counts.set(ms, (counts.get(ms) ?? 0) + 1);
    }
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([100, 200, 900]);
    expect(counts.get(200)! / 8000).toBeCloseTo(0.5, 1);
    expect(counts.get(900)! / 8000).toBeCloseTo(0.25, 1);
  });

  it('repeats the same draws for the same seed', () => {
    const draw = (seed: number) => {
      const random = seededRandom(seed);
      return Array.from({ length: 20 }, () => sampleLatency([1, 2, 3, 4, 5], random));
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it('refuses an empty sample set', () => {
    expect(() => sampleLatency([], Math.random)).toThrow('no measured latencies');
  });

  it('names the file and field of a malformed latencies file', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lat-')), 'latencies.json');
    const samplesMs = { resolve: [1], up: [], healthy: [1], probe: [1], down: [1], fetch: [1], prepare: [1] };
    fs.writeFileSync(file, JSON.stringify({ recordedAt: 'x', host: { cpus: 2, model: 'm' }, runs: 1, fleetClusters: 2, samplesMs }));
    expect(() => loadLatencies(file)).toThrow(`${file}: samplesMs.up:`);
    // A file recorded before the Pi's own steps were: it names the missing one.
    fs.writeFileSync(file, JSON.stringify({ recordedAt: 'x', host: { cpus: 2, model: 'm' }, runs: 1, fleetClusters: 2, samplesMs: { ...samplesMs, up: [1], fetch: undefined } }));
    expect(() => loadLatencies(file)).toThrow(`${file}: samplesMs.fetch:`);
    expect(() => loadLatencies(`${file}.absent`)).toThrow('bench:record-latencies');
  });
});
