import { type StackOptions, upStack } from './embedded-stack';
import { stackDir } from './stack-state';
import { ManagedProcess, sleep } from './managed-process';

/** The stack's servers a fault can take down and the stack brings back. */
export type RestartableServer = 'temporal' | 'postgres';

/**
 * Stops one of a running stack's servers with `signal` (SIGKILL: kill -9; SIGINT: PostgreSQL's fast shutdown),
 * leaves it down for `downMs`, then starts the stack again with the options it was started with, which brings
 * back whatever is not running. Fails if the server was not running, so a fault never lands on nothing.
 */
export async function restartStackServer(stack: StackOptions, server: RestartableServer, signal: NodeJS.Signals, downMs: number): Promise<void> {
  if (!(await new ManagedProcess(server, stackDir(stack.dataDir)).stop(30_000, signal))) {
    throw new Error(`the stack's ${server} in ${stack.dataDir} was not running`);
  }
  await sleep(downMs);
  await upStack(stack);
}
