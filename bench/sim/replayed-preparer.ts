import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CommitPreparer } from '../../activities/cluster/commit-preparer';
import { sampleLatency, type Latencies, type PiStep } from './latency-sampling';

/**
 * One real preparer's work shared by the calls for one commit: the cluster of
 * a group that does the group's git and gates for real in a simulated-Pi
 * process. A failed call is forgotten, so a retry runs it again.
 */
export function sharedPerCommit(real: CommitPreparer): CommitPreparer {
  const once = <T>(cache: Map<string, Promise<T>>, sha: string, run: () => Promise<T>): Promise<T> => {
    let p = cache.get(sha);
    if (!p) {
      p = run();
      cache.set(sha, p);
      p.catch(() => cache.delete(sha));
    }
    return p;
  };
  const fetched = new Map<string, ReturnType<CommitPreparer['fetch']>>();
  const prepared = new Map<string, ReturnType<CommitPreparer['prepare']>>();
  return {
    renderedFile: real.renderedFile,
    fetch: (sha) => once(fetched, sha, () => real.fetch(sha)),
    prepare: (sha) => once(prepared, sha, () => real.prepare(sha)),
  };
}

export interface ReplayedPreparerOptions {
  /** A cluster of the same group whose fetch, gates and render are real (wrapped in sharedPerCommit). */
  template: CommitPreparer;
  /** This cluster's state dir: its rendered projects go where the real preparer's would. */
  stateDir: string;
  latencies: Latencies;
  random: () => number;
}

/**
 * A simulated Pi's fetch, gates and render: it waits the latency this
 * machine's real runs measured for the step, then takes the outcome of its
 * group's real one (the same commit refused or unknown alike, the same
 * rendered project). On one host, a thousand Pis' own git and gates would put
 * a thousand Pis' CPU on two cores; on a real fleet each Pi spends its own.
 */
export function replayedPreparer(o: ReplayedPreparerOptions): CommitPreparer {
  const wait = (step: PiStep) => sleep(sampleLatency(o.latencies.samplesMs[step], o.random));
  const renderedFile = (sha: string) => path.join(o.stateDir, 'rendered', `${sha}.json`);
  return {
    renderedFile,
    async fetch(sha) {
      await wait('fetch');
      return o.template.fetch(sha);
    },
    async prepare(sha) {
      await wait('prepare');
      const services = await o.template.prepare(sha);
      fs.mkdirSync(path.dirname(renderedFile(sha)), { recursive: true });
      fs.copyFileSync(o.template.renderedFile(sha), renderedFile(sha));
      return services;
    },
  };
}
