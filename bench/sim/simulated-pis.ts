import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../../config/runtime-env';
import type { PiReady, PiSpec } from './pi-worker';
import { procUsage } from './proc-usage';

const PI_WORKER = path.join(PROJECT_ROOT, 'dist', 'bench', 'sim', 'pi-worker.js');

export interface SimulatedPis {
  /** Per process: its workers and its resident memory before and after creating them. */
  ready: PiReady[];
  /** Peak resident memory (VmHWM) of each process so far, in bytes. */
  peakRss(): number[];
  /** CPU seconds of all of them so far, with the commands they ran (git). */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

/**
 * Starts `processes` simulated-Pi processes sharing the clusters between them
 * (offline clusters get no worker at all) and resolves once each has created
 * its workers. The processes run the built pi-worker.js (bootstrap builds dist/), from sources and dist alike.
 */
export async function startSimulatedPis(
  base: Omit<PiSpec, 'clusters' | 'seed' | 'startsPerSecond'>,
  clusters: PiSpec['clusters'],
  processes: number,
  seed: number,
  /**
   * Workers starting to poll a second, over all the processes. Bringing up 1,000 idle workers cost the dev server
   * 7.6 CPU s: at 100 a second that is under half a core, leaving the rest to the Pis' own processes.
   */
  startsPerSecond = 100,
): Promise<SimulatedPis> {
  const shares = Array.from({ length: Math.min(processes, clusters.length) }, (_, p) => clusters.filter((_, i) => i % processes === p));
  const children: ChildProcess[] = [];
  const ready = await Promise.all(
    shares.map(
      (share, p) =>
        new Promise<PiReady>((resolve, reject) => {
          const spec: PiSpec = { ...base, clusters: share, seed: seed + p * 100_000, startsPerSecond: startsPerSecond / shares.length };
          const child = fork(PI_WORKER, [], {
            env: { ...process.env, LUCID_SIM_PI: JSON.stringify(spec) },
            execArgv: ['--expose-gc'],
            stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
          });
          children.push(child);
          child.on('message', (m: { ready?: PiReady }) => m.ready && resolve(m.ready));
          child.on('exit', (code) => reject(new Error(`simulated Pi process ${p} exited with ${code} before it was ready`)));
        }),
    ),
  );
  return {
    ready,
    peakRss: () => children.map((c) => procUsage(c.pid!).peakRssBytes),
    cpuSeconds: () => children.reduce((sum, c) => sum + procUsage(c.pid!).cpuSeconds, 0),
    async stop() {
      await Promise.all(
        children.map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.exitCode !== null) return resolve();
              const kill = setTimeout(() => c.kill('SIGKILL'), 15_000);
              c.once('exit', () => (clearTimeout(kill), resolve()));
              c.send({ stop: true });
            }),
        ),
      );
    },
  };
}
