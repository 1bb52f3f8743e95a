import { Help, type Command } from 'commander';
import type { ConsoleContext } from '../console-context';

/** Runs a command body with a console context (Temporal, MongoDB, the config repo), then exits with its code. */
export type ConsoleRun = (fn: (ctx: ConsoleContext) => Promise<number>, json?: boolean) => void;
/** Runs a command body that opens what it needs itself, then exits with its code. */
export type PlainRun = (fn: () => Promise<number>, json?: boolean) => void;
export interface CliRunners {
  withConsole: ConsoleRun;
  plain: PlainRun;
}

interface IndexedCommand {
  /** The line `lucid --help` lists it by: its name, then `[options]` and its arguments when it takes them. */
  term: string;
  description: string;
  /** Declares the command in full; imports its module, which loads what the command runs, so only when it runs. */
  register: (program: Command, run: CliRunners) => Promise<void>;
}

/**
 * The top-level commands, in help order. `lucid --help` is answered from here alone: a command module pulls in
 * the Temporal client, MongoDB, Docker and chain libraries, so `lucid <command> ...` imports only that command's.
 */
export const COMMAND_INDEX = {
  cluster: {
    term: 'cluster',
    description: 'reconcile and inspect clusters',
    register: async (program, run) => (await import('./cluster-commands')).registerClusterCommands(program, run.withConsole),
  },
  rollout: {
    term: 'rollout',
    description: 'roll commits out to the fleet in waves',
    register: async (program, run) => (await import('./rollout-commands')).registerRolloutCommands(program, run.withConsole),
  },
  serve: {
    term: 'serve [options]',
    description: 'serve the operators\' console (/), its JSON API (/api/), the git push webhook (POST /hooks/git) and metrics (GET /metrics)',
    register: async (program, run) => (await import('./serve-command')).registerServeCommand(program, run.withConsole),
  },
  operator: {
    term: 'operator',
    description: "the console's operators and their roles",
    register: async (program, run) => (await import('./operator-command')).registerOperatorCommand(program, run.plain),
  },
  policy: {
    term: 'policy',
    description: 'policy gates of the config repo',
    register: async (program, run) => (await import('./policy-command')).registerPolicyCommand(program, run.withConsole),
  },
  breakglass: {
    term: 'breakglass [options] <sha>',
    description: 'emergency rollout of a commit to every cluster at once; needs a break-glass signature (exit 4 refused)',
    register: async (program, run) => (await import('./breakglass-command')).registerBreakglassCommand(program, run.withConsole),
  },
  session: {
    term: 'session',
    description: 'recorded sessions: record, verify, export, list',
    register: async (program, run) => (await import('./session-commands')).registerSessionCommands(program, run.withConsole),
  },
  anchor: {
    term: 'anchor',
    description: 'anchoring of session roots on chain',
    register: async (program, run) => (await import('./anchor-commands')).registerAnchorCommands(program, run.withConsole),
  },
  proof: {
    term: 'proof',
    description: 'proof documents',
    register: async (program, run) => (await import('./anchor-commands')).registerAnchorCommands(program, run.withConsole),
  },
  chain: {
    term: 'chain',
    description: 'the anchoring chain',
    register: async (program, run) => (await import('./anchor-commands')).registerAnchorCommands(program, run.withConsole),
  },
  payout: {
    term: 'payout',
    description: 'monthly payouts to node operators (exit 4: refused or held)',
    register: async (program, run) => (await import('./payout-commands')).registerPayoutCommands(program, run.withConsole),
  },
  dev: {
    term: 'dev',
    description: 'the embedded stack on this machine',
    register: async (program, run) => (await import('./dev-commands')).registerDevCommands(program, run.plain),
  },
  worker: {
    term: 'worker',
    description: 'run one worker in the foreground',
    register: async (program, run) => (await import('./worker-commands')).registerWorkerCommands(program, run.plain),
  },
} satisfies Record<string, IndexedCommand>;

/** The indexed command `argv` runs (`lucid <command> ...` or `lucid help <command>`), if it names one. */
export function commandOf(argv: string[]): IndexedCommand | undefined {
  const name = argv[2] === 'help' ? argv[3] : argv[2];
  return Object.entries(COMMAND_INDEX as Record<string, IndexedCommand>).find(([n]) => n === name)?.[1];
}

/** Declares every command by name and description only, enough for `lucid --help` and unknown-command errors. */
export function declareIndex(program: Command): void {
  const terms = new Map<string, string>();
  for (const [name, entry] of Object.entries(COMMAND_INDEX as Record<string, IndexedCommand>)) {
    program.command(name).description(entry.description);
    terms.set(name, entry.term);
  }
  program.configureHelp({ subcommandTerm: (cmd) => terms.get(cmd.name()) ?? new Help().subcommandTerm(cmd) });
}
