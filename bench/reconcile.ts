import { spawn } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { composeCommand } from '../compose/compose-cli';
import { PROJECT_ROOT } from '../config/runtime-env';
import { sampleFleetFiles, type SampleCluster } from '../demo/sample-fleet';
import type { reconcileCluster } from '../workflows';
import { RECONCILE_QUEUE, reconcileWorkflowId } from '../workflows/task-queues';
import { benchFleet, median } from './bench-fleet';
import { composeChecked } from './compose-checked';
import { formatTrace, traceHistory } from './history-trace';

/**
 * bench:reconcile: a commit accepted by Lucid until every service is healthy,
 * against a bare `docker compose up -d` of the same project (and the same plus
 * waiting for health), alternating v1/v2 so every round recreates containers.
 * Then the operator's view on the same cluster: `lucid cluster reconcile --wait`
 * as a process, against bare up + health of the same change. The baseline is
 * `docker compose` as an operator types it; Lucid runs the compose plugin
 * directly, and the bench shows what the Docker CLI's own start costs a call.
 * BENCH_TRACE=1 prints each round's activities and workflow tasks from its history.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const TRACE = process.env.BENCH_TRACE === '1';
const CLUSTER: SampleCluster = { id: 'bench-bc', group: 'blockchain', profiles: ['blockchain'], wave: 'canary' };
const BARE = 'bench-bare';
const LUCID = path.join(PROJECT_ROOT, 'bin', 'lucid');

type Fleet = Awaited<ReturnType<typeof benchFleet>>;

/** `lucid cluster reconcile <id> --commit <sha> --wait` as the operator runs it: a fresh process, to its exit. */
function lucidCli(fleet: Fleet, sha: string): Promise<void> {
  const env = {
    ...process.env,
    TEMPORAL_ADDRESS: fleet.stack.temporalAddress,
    MONGO_URL: fleet.stack.mongoUrl,
    LUCID_NAMESPACE: fleet.stack.namespace,
    LUCID_DB: fleet.stack.db,
    LUCID_CONFIG_REPO: fleet.repo.bareDir,
    LUCID_DATA_DIR: path.join(fleet.dataDir, 'operator'),
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LUCID, 'cluster', 'reconcile', CLUSTER.id, '--commit', sha, '--wait'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`lucid cluster reconcile ${sha} exited ${code}: ${stderr}`))));
  });
}

/** Bare `up -d` of the commit's tree under another project: its `up` time and its until-healthy time. */
async function bare(fleet: Fleet, sha: string): Promise<{ up: number; healthy: number }> {
  const t = performance.now();
  await fleet.bareUp(BARE, CLUSTER, path.join(fleet.dataDir, 'clusters', CLUSTER.id, 'trees', sha));
  const up = performance.now() - t;
  await fleet.untilHealthy(BARE, 3);
  return { up, healthy: performance.now() - t };
}

/** Median ms of `docker compose version` minus the plugin's own `version`: the Docker CLI's start before its plugin. */
async function dockerCliStart(): Promise<number> {
  const [plugin, pre] = composeCommand();
  const time = async (cmd: string, args: string[]) => {
    const t = performance.now();
    await composeChecked(cmd, args);
    return performance.now() - t;
  };
  const typed: number[] = [];
  const direct: number[] = [];
  for (let i = 0; i < 9; i++) {
    typed.push(await time('docker', ['compose', 'version']));
    direct.push(await time(plugin, [...pre, 'version']));
  }
  return median(typed) - median(direct);
}

async function main(): Promise<void> {
  const fleet = await benchFleet([CLUSTER]);
  const lucidMs: number[] = [];
  const bareUpMs: number[] = [];
  const bareHealthyMs: number[] = [];
  const cliMs: number[] = [];
  const cliBareMs: number[] = [];
  let round = 0;
  const commit = () => {
    const version = round % 2 === 0 ? 'v1' : 'v2';
    return fleet.repo.commit(sampleFleetFiles({ clusters: [CLUSTER], version }), `bench round ${round++}`, { replaceAll: true });
  };
  try {
    for (let i = 0; i < ROUNDS + 1; i++) {
      const sha = await commit();
      const workflowId = reconcileWorkflowId(CLUSTER.id, sha);
      const t = performance.now();
      const result = await fleet.client.workflow.execute<typeof reconcileCluster>('reconcileCluster', {
        taskQueue: RECONCILE_QUEUE,
        workflowId,
        args: [{ clusterId: CLUSTER.id, commit: sha }],
      });
      const lucid = performance.now() - t;
      if (result.outcome !== 'healthy') throw new Error(`round ${i}: ${result.outcome}`);
      const b = await bare(fleet, sha);
      // Round 0 creates everything from nothing; the steady state is what is measured.
      if (i === 0) continue;
      lucidMs.push(lucid);
      bareUpMs.push(b.up);
      bareHealthyMs.push(b.healthy);
      process.stderr.write(`round ${i}: lucid ${lucid.toFixed(0)} ms, bare up -d ${b.up.toFixed(0)} ms, bare up+healthy ${b.healthy.toFixed(0)} ms\n`);
      if (TRACE) {
        const history = await fleet.client.workflow.getHandle(workflowId).fetchHistory();
        process.stderr.write(`${formatTrace(traceHistory(history.events ?? []), lucid)}\n`);
      }
    }
    // The operator's view: the first CLI run clones the console's mirror, so it is not measured.
    for (let i = 0; i < ROUNDS + 1; i++) {
      const sha = await commit();
      const t = performance.now();
      await lucidCli(fleet, sha);
      const cli = performance.now() - t;
      const b = await bare(fleet, sha);
      if (i === 0) continue;
      cliMs.push(cli);
      cliBareMs.push(b.healthy);
      process.stderr.write(`operator round ${i}: lucid cluster reconcile --wait ${cli.toFixed(0)} ms, bare up+healthy ${b.healthy.toFixed(0)} ms\n`);
    }
  } finally {
    await fleet.close([BARE]);
  }
  const cliStart = await dockerCliStart();
  const l = median(lucidMs);
  const u = median(bareUpMs);
  const hb = median(bareHealthyMs);
  const c = median(cliMs);
  const cb = median(cliBareMs);
  process.stdout.write(
    [
      `bench:reconcile (${ROUNDS} rounds, 3 services, medians; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')})`,
      `  lucid: commit accepted -> all healthy   ${l.toFixed(0)} ms`,
      `  bare docker compose up -d                ${u.toFixed(0)} ms   ratio lucid/bare ${(l / u).toFixed(2)}`,
      `  bare up -d + wait until healthy          ${hb.toFixed(0)} ms   ratio lucid/bare+health ${(l / hb).toFixed(2)} (target <= 1.10)`,
      `  (bare runs \`docker compose\` as typed; Lucid runs the compose plugin directly, ${cliStart.toFixed(0)} ms a call less: the Docker CLI's start)`,
      `the operator's view (same clusters, same run):`,
      `  lucid cluster reconcile --wait, process  ${c.toFixed(0)} ms`,
      `  bare up -d + wait until healthy          ${cb.toFixed(0)} ms   ratio ${(c / cb).toFixed(2)} (target <= 1.25)`,
      '',
    ].join('\n'),
  );
}

main().catch((err: Error) => {
  process.stderr.write(`bench:reconcile: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
