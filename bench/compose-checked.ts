import { composeEnv } from '../compose/compose-cli';
import { runProcess } from '../process/run-process';

/**
 * Runs Compose as the benches call it outside Lucid (the Docker CLI as typed, or the plugin itself) in Lucid's
 * Compose environment, so both sides of a ratio see the same variables; a non-zero exit throws with the command.
 */
export async function composeChecked(cmd: string, args: string[], cwd?: string): Promise<void> {
  const run = await runProcess(cmd, args, { env: composeEnv(), ...(cwd ? { cwd } : {}) });
  if (run.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
}
