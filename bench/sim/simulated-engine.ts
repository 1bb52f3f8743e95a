import * as fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'yaml';
import type { ClusterEngine, ProjectSource } from '../../compose/cluster-engine';
import { LABELS } from '../../compose/compose-labels';
import type { ServiceStatus } from '../../workflows/reconcile-types';
import { sampleLatency, type EngineStep, type Latencies } from './latency-sampling';

export interface SimulatedEngineOptions {
  latencies: Latencies;
  random: () => number;
  /** Whether this cluster's services come up unhealthy under `commit` (the fleet's configured failure share). */
  failsUnder: (commit: string) => boolean;
}

type ComposeFile = { services?: Record<string, Record<string, unknown> & { profiles?: string[] }> } & Record<string, unknown>;
type RenderedFile = { services: Record<string, { image?: string; labels?: Record<string, string> }> };

/**
 * A cluster without Docker: each step waits a latency measured on this
 * machine's real Compose runs and then reports what Compose would. The render
 * resolves the file as Compose does for this repo's features (profiles and
 * `${VAR}` / `${VAR:-default}` from the env file); everything around the engine
 * (git fetch, gates, secrets) stays real.
 */
export function simulatedEngine(opts: SimulatedEngineOptions): ClusterEngine {
  const wait = (step: EngineStep) => sleep(sampleLatency(opts.latencies.samplesMs[step], opts.random));
  let running: ServiceStatus[] = [];
  let settlesAt = 0;
  let healthy = true;
  const now = () => running.map((s) => ({ ...s, health: Date.now() < settlesAt ? ('starting' as const) : healthy ? ('healthy' as const) : ('unhealthy' as const) }));

  return {
    async resolveProject(src) {
      await wait('resolve');
      return JSON.stringify(resolveLikeCompose(src));
    },

    async up(renderedFile, { commit }) {
      await wait('up');
      const rendered = JSON.parse(fs.readFileSync(renderedFile, 'utf8')) as RenderedFile;
      running = Object.entries(rendered.services).map(([name, svc]) => ({
        name,
        image: String(svc.image),
        state: 'running',
        health: 'starting',
        commit: svc.labels?.[LABELS.commit],
        configHash: svc.labels?.[LABELS.configHash],
      }));
      healthy = !opts.failsUnder(commit);
      settlesAt = Date.now() + sampleLatency(opts.latencies.samplesMs.healthy, opts.random);
    },

    async services() {
      return now();
    },

    async waitHealthy(services, timeoutMs, onPoll) {
      const deadline = Date.now() + timeoutMs;
      // A timer may fire a millisecond before Date.now() says it is due: wait until the clock agrees.
      while (Date.now() < Math.min(settlesAt, deadline)) await sleep(Math.min(settlesAt, deadline) - Date.now() + 1);
      const statuses = now();
      onPoll(statuses);
      const missing = services.find((p) => !statuses.some((s) => s.name === p.name && s.configHash === p.configHash));
      if (missing) return { healthy: false, services: statuses, failure: { service: missing.name, reason: 'not running its planned config' } };
      const bad = statuses.find((s) => s.health !== 'healthy');
      if (bad) return { healthy: false, services: statuses, failure: { service: bad.name, reason: `${bad.health} (simulated)` } };
      return { healthy: true, services: statuses };
    },

    async probePlanes() {
      await wait('probe');
      return { verified: true, findings: [], probes: running.length, leaked: false, running: running.map((s) => s.name).sort() };
    },

    async down() {
      await wait('down');
      running = [];
    },
  };
}

/** `docker compose config` for what this repo's compose files use: profiles and env interpolation. */
export function resolveLikeCompose(src: ProjectSource): ComposeFile {
  const env = parseEnvFile(fs.readFileSync(src.envFile, 'utf8'));
  const file = interpolate(parse(fs.readFileSync(src.composeFile, 'utf8')), env) as ComposeFile;
  const services = Object.fromEntries(
    Object.entries(file.services ?? {}).filter(([, s]) => !s.profiles || s.profiles.some((p) => src.profiles.includes(p))),
  );
  return { ...file, services };
}

function parseEnvFile(text: string): Map<string, string> {
  const env = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) env.set(m[1]!, m[2]!.replace(/^"(.*)"$/, '$1'));
  }
  return env;
}

function interpolate(value: unknown, env: Map<string, string>): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_, name: string, dflt?: string) => env.get(name) || (dflt ?? ''));
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, env));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env)]));
  return value;
}
