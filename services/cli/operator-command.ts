import type { Command } from 'commander';
import { runtimeEnv } from '../../config/runtime-env';
import { ROLES, addOperator, operatorsFile, type Role } from '../console/operator-accounts';
import { CliExit, EXIT, say } from './cli-output';
import { COMMAND_INDEX, type PlainRun } from './command-index';

/** Reads the password from standard input, never from an argument, which `ps` and shell history would show. */
async function passwordFromStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new CliExit(EXIT.badInput, 'stdin: pipe the password in (printf %s "$PW" | lucid operator add ...), it is not read from a terminal');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export function registerOperatorCommand(program: Command, run: PlainRun): void {
  const cmd = program.command('operator').description(COMMAND_INDEX.operator.description);
  cmd
    .command('add <name>')
    .description('add or replace a console operator; the password is read from stdin and stored as a scrypt hash')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .action((name: string, o: { role: string }) =>
      run(async () => {
        if (!(ROLES as readonly string[]).includes(o.role)) throw new CliExit(EXIT.badInput, `--role: '${o.role}' is not one of ${ROLES.join(', ')}`);
        const file = operatorsFile(runtimeEnv().LUCID_DATA_DIR);
        // A refusal is a ConfigError naming file, field and reason: exit 2.
        await addOperator(file, { name, role: o.role as Role }, await passwordFromStdin());
        say(`operator ${name} (${o.role}) written to ${file}; lucid serve reads it at the next sign-in`);
        return EXIT.ok;
      }),
    );
}
