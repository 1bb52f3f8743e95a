import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { PROJECT_ROOT } from '../../config/runtime-env';

/** The engine steps whose latency the simulation replays, as measured by record-latencies.ts. */
export const ENGINE_STEPS = ['resolve', 'up', 'healthy', 'probe', 'down'] as const;
export type EngineStep = (typeof ENGINE_STEPS)[number];
/** The Pi's own steps around the engine (git fetch; gates, secrets and render), replayed when the bench replays Pi work. */
export const PI_STEPS = ['fetch', 'prepare'] as const;
export type PiStep = (typeof PI_STEPS)[number];
export const RECORDED_STEPS = [...ENGINE_STEPS, ...PI_STEPS] as const;
export type RecordedStep = (typeof RECORDED_STEPS)[number];

const positiveMs = z.number().nonnegative().finite();
export const latenciesSchema = z.object({
  recordedAt: z.string(),
  host: z.object({ cpus: z.number().int().positive(), model: z.string() }),
  runs: z.number().int().positive(),
  /** The clusters the recorded config listed: fetch and prepare grow with the fleet every Pi validates. */
  fleetClusters: z.number().int().positive(),
  samplesMs: z.object(
    Object.fromEntries(RECORDED_STEPS.map((s) => [s, z.array(positiveMs).min(1)])) as Record<RecordedStep, z.ZodArray<typeof positiveMs>>,
  ),
});
export type Latencies = z.infer<typeof latenciesSchema>;

export const LATENCIES_FILE = path.join(PROJECT_ROOT, 'bench', 'sim', 'latencies.json');

/** Reads the recorded latencies; a missing or malformed file names itself and what is wrong. */
export function loadLatencies(file = LATENCIES_FILE): Latencies {
  if (!fs.existsSync(file)) throw new Error(`${file}: missing; record it with \`npm run bench:record-latencies\``);
  const parsed = latenciesSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

/** A seeded generator (mulberry32), so a simulated fleet draws the same latencies run after run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * One latency from the measured ones: a measured run picked at random, so the
 * simulation keeps the real spread (and its slow tail) instead of a mean.
 */
export function sampleLatency(samples: readonly number[], random: () => number): number {
  if (samples.length === 0) throw new Error('no measured latencies to sample from');
  return samples[Math.min(samples.length - 1, Math.floor(random() * samples.length))]!;
}
