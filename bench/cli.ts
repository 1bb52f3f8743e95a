import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import { toolPaths } from '../services/stack/tool-paths';

/**
 * bench:cli: how long the operator waits for `lucid --help` and for a command's own help, each as a whole
 * process, against a bare `node -e ''` start measured in the same run, interleaved so load on the machine
 * falls on all alike; CPU time too, as a loaded machine stretches wall time. Medians of BENCH_RUNS runs.
 */
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const lucid = toolPaths().lucidCli;
const CASES: Array<{ label: string; args: string[] }> = [
  { label: "node -e ''", args: ['-e', ''] },
  { label: 'lucid --help', args: [lucid, '--help'] },
  { label: 'lucid cluster status --help', args: [lucid, 'cluster', 'status', '--help'] },
  { label: 'lucid dev up --help', args: [lucid, 'dev', 'up', '--help'] },
];

/** Wall time of one run, and its CPU time (user + sys) from bash's `times`, which load on the machine inflates less. */
function timeOnce(args: string[]): { wall: number; cpu: number } {
  const t = performance.now();
  const r = spawnSync('bash', ['-c', '"$0" "$@" >/dev/null || exit 1; times', process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const wall = performance.now() - t;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr.toString()}`);
  const children = r.stdout.toString().trim().split('\n')[1] ?? '';
  const cpu = [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, m) => sum + Number(m[1]) * 60_000 + Number(m[2]) * 1000, 0);
  return { wall, cpu };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function main(): void {
  const runs = CASES.map(() => [] as Array<{ wall: number; cpu: number }>);
  for (const c of CASES) timeOnce(c.args); // warm the page cache
  for (let i = 0; i < RUNS; i++) CASES.forEach((c, j) => runs[j]!.push(timeOnce(c.args)));
  const wall = runs.map((r) => median(r.map((x) => x.wall)));
  const cpu = runs.map((r) => median(r.map((x) => x.cpu)));
  process.stdout.write(`bench:cli (median of ${RUNS} runs each, interleaved, one run; load average ${os.loadavg()[0]!.toFixed(1)})\n`);
  CASES.forEach((c, j) => {
    const vs = j === 0 ? '' : `  ${(wall[j]! / wall[0]!).toFixed(2)}x node wall, ${(cpu[j]! / cpu[0]!).toFixed(2)}x node CPU`;
    process.stdout.write(`  ${c.label.padEnd(30)} wall ${(wall[j]! / 1000).toFixed(3)} s  CPU ${(cpu[j]! / 1000).toFixed(3)} s${vs}\n`);
  });
  const help = wall[1]! / 1000;
  process.stdout.write(`lucid --help: ${help.toFixed(3)} s wall (target <= 0.2 s: ${help <= 0.2 ? 'met' : 'NOT met'})\n`);
}

main();
