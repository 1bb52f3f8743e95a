import { spawnSync } from 'node:child_process';
import { toolPaths } from '../services/stack/tool-paths';

/**
 * bench:cli: how long the operator waits for `lucid --help` and for a command's own help, each as a whole
 * process, against a bare `node -e ''` start measured in the same run, interleaved so load on the machine
 * falls on all alike. Medians of BENCH_RUNS runs.
 */
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const lucid = toolPaths().lucidCli;
const CASES: Array<{ label: string; args: string[] }> = [
  { label: "node -e ''", args: ['-e', ''] },
  { label: 'lucid --help', args: [lucid, '--help'] },
  { label: 'lucid cluster status --help', args: [lucid, 'cluster', 'status', '--help'] },
  { label: 'lucid dev up --help', args: [lucid, 'dev', 'up', '--help'] },
];

function timeOnce(args: string[]): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr.toString()}`);
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function main(): void {
  const times = CASES.map(() => [] as number[]);
  for (const c of CASES) timeOnce(c.args); // warm the page cache
  for (let i = 0; i < RUNS; i++) CASES.forEach((c, j) => times[j]!.push(timeOnce(c.args)));
  const base = median(times[0]!);
  process.stdout.write(`bench:cli (median of ${RUNS} runs each, interleaved, one run)\n`);
  CASES.forEach((c, j) => {
    const ms = median(times[j]!);
    const extra = j === 0 ? '' : `  ${(ms / base).toFixed(2)}x node, +${(ms - base).toFixed(0)} ms over it`;
    process.stdout.write(`  ${c.label.padEnd(30)} ${(ms / 1000).toFixed(3)} s${extra}\n`);
  });
  const help = median(times[1]!) / 1000;
  process.stdout.write(`lucid --help: ${help.toFixed(3)} s (target <= 0.2 s: ${help <= 0.2 ? 'met' : 'NOT met'})\n`);
}

main();
