import { Command } from 'commander';
import { reportError } from './cli/cli-output';
import { registerAnchorCommands } from './cli/anchor-commands';
import { registerClusterCommands } from './cli/cluster-commands';
import { registerDevCommands } from './cli/dev-commands';
import { registerBreakglassCommand } from './cli/breakglass-command';
import { registerPayoutCommands } from './cli/payout-commands';
import { registerPolicyCommand } from './cli/policy-command';
import { registerRolloutCommands } from './cli/rollout-commands';
import { registerServeCommand } from './cli/serve-command';
import { registerSessionCommands } from './cli/session-commands';
import { registerWorkerCommands } from './cli/worker-commands';
import { ConsoleContext, consoleEnv } from './console-context';

const program = new Command('lucid')
  .description('Lucid: durable GitOps for fleets of Docker Compose edge clusters')
  .showHelpAfterError();

/** Runs a command body, then exits with its code; errors map to exit codes in one place. */
function runWith<T extends unknown[]>(body: (...a: T) => Promise<number>, makeArgs: () => T, json = false): void {
  let args: unknown[] = [];
  // Nothing to await: every failure is mapped to an exit code by reportError, and process.exit ends the chain.
  void Promise.resolve()
    .then(() => {
      const made = makeArgs();
      args = made;
      return body(...made);
    })
    .catch((err: unknown) => reportError(err, json))
    .then(async (code) => {
      for (const a of args) if (a instanceof ConsoleContext) await a.close().catch(() => undefined);
      process.exit(code);
    });
}

const withConsole = (fn: (ctx: ConsoleContext) => Promise<number>, json?: boolean) =>
  runWith(fn, () => [new ConsoleContext(consoleEnv())] as [ConsoleContext], json);
registerClusterCommands(program, withConsole);
registerRolloutCommands(program, withConsole);
registerServeCommand(program, withConsole);
registerPolicyCommand(program, withConsole);
registerBreakglassCommand(program, withConsole);
registerSessionCommands(program, withConsole);
registerAnchorCommands(program, withConsole);
registerPayoutCommands(program, withConsole);
registerDevCommands(program, (fn, json) => runWith(fn, () => [] as [], json));
registerWorkerCommands(program, (fn) => runWith(fn, () => [] as []));

program.parseAsync(process.argv).catch((err: unknown) => process.exit(reportError(err, false)));
