import type { Command } from 'commander';
import { optionalCommitRef } from '../../common/input-ids';
import { ConfigError } from '../../config/config-error';
import type { ConsoleContext } from '../console-context';
import { insecureWarnings } from './insecure-warnings';
import { EXIT, counted, printJson, say } from './cli-output';
import { COMMAND_INDEX } from './command-index';

/** Exit code of a refused policy check, apart from bad input (2) and failure (1). */
export const POLICY_REFUSED = 4;

/**
 * `lucid policy check`: the gates the rollout and every cluster apply (commit
 * signature, config schemas, profile and service allow-lists, image pinning,
 * signatures, SBOM and vulnerability budget), for a pull request's CI before
 * anything is merged.
 */
export function registerPolicyCommand(program: Command, run: (fn: (ctx: ConsoleContext) => Promise<number>, json?: boolean) => void): void {
  program
    .command('policy')
    .description(COMMAND_INDEX.policy.description)
    .command('check')
    .description('run the gates on a commit (default: the branch head); exit 0 pass, 4 refused')
    .option('--commit <sha>', 'commit (full or short sha)')
    .option('--json', 'JSON on stdout')
    .action((o: { commit?: string; json?: boolean }) =>
      run(async (ctx) => {
        const commit = (await ctx.mirror().fetchAndResolve(optionalCommitRef('--commit', o.commit))).sha;
        try {
          const { fleet, gates, images } = await ctx.gatedAt(commit);
          const clusters = [...fleet.clusters.keys()];
          const warnings = insecureWarnings(gates.insecure);
          if (o.json) printJson({ commit, passed: true, clusters, gates, images, ...(warnings.length ? { warnings } : {}) });
          const imageLine = gates.images === undefined ? 'images not checked' : `${counted(gates.images, 'image')} signed by ${gates.imageSigners?.join(', ')}`;
          say(`policy check ${commit.slice(0, 12)}: passed (${counted(clusters.length, 'cluster')}; ${imageLine})`);
          for (const w of warnings) say(`  WARNING: ${w}`);
          return EXIT.ok;
        } catch (err) {
          if (!(err instanceof ConfigError)) throw err;
          if (o.json) printJson({ commit, passed: false, refusal: err.toJSON() });
          say(`policy check ${commit.slice(0, 12)}: refused: ${err.message}`);
          return POLICY_REFUSED;
        }
      }, o.json),
    );
}
