import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { Command } from 'commander';
import { COMMAND_INDEX, declareIndex, type CliRunners } from '../../services/cli/command-index';

const CLI = path.join(__dirname, '..', '..', 'services', 'cli.ts');

/**
 * Runs the CLI from its sources in a fresh Node (transpiled on require by SWC, as jest does) and lists every
 * file it loaded, read from require.cache as the process exits.
 */
const CHILD = `
const fs = require('node:fs');
const swc = require('@swc/core');
require.extensions['.ts'] = (m, file) => m._compile(swc.transformSync(fs.readFileSync(file, 'utf8'),
  { filename: file, module: { type: 'commonjs' }, jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }).code, file);
const before = new Set(Object.keys(require.cache));
process.on('exit', () => fs.writeSync(2, '\\nLOADED ' + JSON.stringify(Object.keys(require.cache).filter((k) => !before.has(k))) + '\\n'));
process.argv = [process.argv[0], 'lucid', ...JSON.parse(process.env.LUCID_ARGS)];
require(process.env.LUCID_CLI);
`;

function runCli(args: string[]): { code: number | null; stdout: string; loaded: string[]; packages: string[] } {
  const r = spawnSync(process.execPath, ['-e', CHILD], { env: { ...process.env, LUCID_ARGS: JSON.stringify(args), LUCID_CLI: CLI }, encoding: 'utf8' });
  const line = r.stderr.split('\n').find((l) => l.startsWith('LOADED '));
  if (!line) throw new Error(`lucid ${args.join(' ')} listed no loaded modules (exit ${r.status}): ${r.stderr}`);
  const loaded = JSON.parse(line.slice('LOADED '.length)) as string[];
  const packages = [...new Set(loaded.map((f) => /node_modules\/((@[^/]+\/)?[^/]+)/.exec(f)?.[1]).filter((p) => p !== undefined))].sort();
  return { code: r.status, stdout: r.stdout, loaded, packages };
}

describe('lucid --help', () => {
  it('lists every command from the index, loading commander and nothing else from node_modules', () => {
    const r = runCli(['--help']);
    expect(r.code).toBe(0);
    for (const name of Object.keys(COMMAND_INDEX)) expect(r.stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
    expect(r.packages).toEqual(['commander']);
    expect(r.loaded.filter((f) => !f.includes('node_modules')).map((f) => path.relative(path.dirname(CLI), f)).sort()).toEqual([
      'cli.ts',
      path.join('cli', 'command-index.ts'),
    ]);
  });

  it('a command imports its own module when it runs, no other command module, and Temporal or MongoDB only when it connects', () => {
    const r = runCli(['cluster', 'status', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: lucid cluster status [options] <id>');
    expect(r.loaded).toContain(path.join(path.dirname(CLI), 'cli', 'cluster-commands.ts'));
    expect(r.loaded.filter((f) => /services\/cli\/\w+-commands?\.ts$/.test(f)).map((f) => path.basename(f))).toEqual(['cluster-commands.ts']);
    // The command module is loaded (its help is its own), the clients it connects with are not.
    expect(r.packages.filter((p) => /^(@temporalio\/|mongodb$|viem$)/.test(p))).toEqual([]);
  });

  it('`dev up --help` answers without the stack, Docker, Temporal or chain libraries', () => {
    const r = runCli(['dev', 'up', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: lucid dev up [options]');
    expect(r.packages.filter((p) => /^(@temporalio\/|dockerode$|mongodb$|viem$|tronweb$)/.test(p))).toEqual([]);
    expect(r.loaded.some((f) => f.endsWith(path.join('stack', 'embedded-stack.ts')))).toBe(false);
  });
});

describe('the command index', () => {
  const noRun: CliRunners = { withConsole: () => undefined, plain: () => undefined };
  const lucid = () => new Command('lucid').description('Lucid');

  it('gives the same top-level help as the command modules themselves', async () => {
    const indexed = lucid();
    declareIndex(indexed);
    const full = lucid();
    for (const [name, entry] of Object.entries(COMMAND_INDEX)) {
      if (!full.commands.some((c) => c.name() === name)) await entry.register(full, noRun);
    }
    expect(full.commands.map((c) => c.name())).toEqual(Object.keys(COMMAND_INDEX));
    expect(indexed.helpInformation()).toBe(full.helpInformation());
  });
});
