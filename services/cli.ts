import { Command } from 'commander';
import { commandOf, declareIndex, type CliRunners } from './cli/command-index';
import type { ConsoleContext } from './console-context';

const program = new Command('lucid')
  .description('Lucid: durable GitOps for fleets of Docker Compose edge clusters')
  .showHelpAfterError();

/** Exits with the code a command body ends with; errors map to exit codes in one place. */
function finish(body: Promise<number>, json: boolean, close: () => Promise<void> = async () => undefined): void {
  // Nothing to await: every failure is mapped to an exit code by reportError, and process.exit ends the chain.
  void body
    .catch(async (err: unknown) => (await import('./cli/cli-output')).reportError(err, json))
    .then(async (code) => {
      await close().catch(() => undefined);
      process.exit(code);
    });
}

// What runs a command is imported when it runs: `lucid --help` loads neither Temporal nor MongoDB.
const runners: CliRunners = {
  withConsole: (fn, json = false) => {
    let ctx: ConsoleContext | undefined;
    const body = import('./console-context').then(({ ConsoleContext, consoleEnv }) => fn((ctx = new ConsoleContext(consoleEnv()))));
    finish(body, json, async () => ctx?.close());
  },
  plain: (fn, json = false) => finish(Promise.resolve().then(fn), json),
};

const command = commandOf(process.argv);
(command ? command.register(program, runners) : Promise.resolve(declareIndex(program)))
  .then(() => program.parseAsync(process.argv))
  .catch(async (err: unknown) => process.exit((await import('./cli/cli-output')).reportError(err, false)));
