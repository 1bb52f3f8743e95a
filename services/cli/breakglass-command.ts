import * as fs from 'node:fs';
import type { Command } from 'commander';
import { commitRef } from '../../common/input-ids';
import { verifyBreakglassAt } from '../../repo/breakglass-signature';
import { startRollout } from '../../triggers/rollout-trigger';
import { ConfigError } from '../../config/config-error';
import { OPT_OUT_FILE } from '../../config/insecure-opt-out';
import type { rollout } from '../../workflows';
import { breakglassOptOutRefusal } from '../../workflows/breakglass-plan';
import type { ConsoleContext } from '../console-context';
import { CliExit, EXIT, printJson, say } from './cli-output';
import { POLICY_REFUSED } from './policy-command';
import { COMMAND_INDEX } from './command-index';

/** `lucid breakglass`: an emergency rollout that skips waves, soak and windows, never a policy gate. */
export function registerBreakglassCommand(program: Command, run: (fn: (ctx: ConsoleContext) => Promise<number>, json?: boolean) => void): void {
  program
    .command('breakglass <sha>')
    .description(COMMAND_INDEX.breakglass.description)
    .requiredOption('--signature <file>', 'ssh-keygen -Y sign -n lucid-breakglass over the line `lucid-breakglass <sha> expires <time>`')
    .requiredOption('--expires <time>', 'the signed expiry, UTC like 2026-01-31T23:00:00Z (at most 24h ahead)')
    .option('--wait', 'wait for the end; exit 0 succeeded, 3 halted')
    .option('--json', 'JSON on stdout')
    .action((ref: string, o: { signature: string; expires: string; wait?: boolean; json?: boolean }) =>
      run(async (ctx) => {
        const sha = commitRef('<sha>', ref);
        if (!fs.existsSync(o.signature)) throw new CliExit(EXIT.badInput, `--signature: ${o.signature} not found`);
        const signature = fs.readFileSync(o.signature, 'utf8');
        let commit;
        let signer: string;
        try {
          let gates;
          ({ commit, gates } = await ctx.gatedAt(sha));
          const optedOut = breakglassOptOutRefusal(gates);
          if (optedOut) throw new ConfigError(OPT_OUT_FILE, 'insecure', optedOut);
          signer = await verifyBreakglassAt(ctx.mirror().mirrorDir, commit.sha, o.expires, signature);
        } catch (err) {
          if (!(err instanceof ConfigError)) throw err;
          throw new CliExit(POLICY_REFUSED, `break-glass refused, nothing started: ${err.message}`, err.toJSON());
        }
        const client = await ctx.temporal();
        const { workflowId, started } = await startRollout(client, commit.sha, { source: 'breakglass', by: signer }, { signature, expiresAt: o.expires });
        say(`BREAK-GLASS ${started ? 'started' : 'already exists:'} ${workflowId} by ${signer}`);
        if (!o.wait) {
          if (o.json) printJson({ workflowId, commit: commit.sha, started, signer });
          return EXIT.ok;
        }
        const status = await client.workflow.getHandle<typeof rollout>(workflowId).result();
        if (o.json) printJson({ workflowId, commit: status.commit, state: status.state, waves: status.waves, reasons: status.reasons });
        return status.state === 'succeeded' ? EXIT.ok : status.state === 'halted' ? EXIT.rolledBack : EXIT.failure;
      }, o.json),
    );
}
