import * as os from 'node:os';
import type { Command } from 'commander';
import { commitRef, optionalCommitRef } from '../../common/input-ids';
import { RetryRefused, retryRollout, startRollout } from '../../triggers/rollout-trigger';
import { payloadKeys } from '../../config/payload-keys';
import { lucidDataConverter } from '../../workers/payload-codec';
import type { rollout } from '../../workflows';
import { approveUpdate, operatorSignals, statusQuery } from '../../workflows/rollout-messages';
import type { RolloutStatus } from '../../workflows/rollout-types';
import { rolloutWorkflowId } from '../../workflows/task-queues';
import type { ConsoleContext } from '../console-context';
import { rolloutHistory } from '../rollout-timeline';
import { CliExit, EXIT, printJson, say } from './cli-output';
import { insecureWarnings } from './insecure-warnings';
import { COMMAND_INDEX } from './command-index';

const STATE_EXIT: Record<RolloutStatus['state'], number> = {
  succeeded: EXIT.ok,
  halted: EXIT.rolledBack,
  aborted: EXIT.failure,
  running: EXIT.ok,
  waiting: EXIT.ok,
};

/** The documented `--json` shape; the workflow's status carries more (approvals, trigger, times). */
function publicStatus(s: RolloutStatus) {
  return {
    commit: s.commit,
    state: s.state,
    waves: s.waves.map((w) => ({
      name: w.name,
      state: w.state,
      clusters: w.clusters.map(({ id, state, commit, healthy }) => ({ id, state, commit, healthy })),
      // A wave too large to list each cluster: its size and its clusters per state.
      ...(w.total !== undefined && w.total > w.clusters.length ? { total: w.total, counts: w.counts } : {}),
    })),
    reasons: s.reasons,
    ...(s.insecure?.length ? { insecure: s.insecure, warnings: insecureWarnings(s.insecure) } : {}),
  };
}

function printStatus(s: RolloutStatus, json?: boolean): void {
  if (json) return printJson(publicStatus(s));
  say(`rollout ${s.commit.slice(0, 12)}: ${s.state}${s.waitingFor ? ` (waiting for ${s.waitingFor})` : ''}${s.paused ? ' [paused]' : ''}`);
  for (const w of s.waves) {
    const counts = w.counts ? Object.entries(w.counts).map(([state, n]) => `${n} ${state}`) : [];
    say(`  wave ${w.name.padEnd(10)} ${w.state}${counts.length ? ` (${w.total} clusters: ${counts.join(', ')})` : ''}`);
    if (w.total !== undefined && w.total > w.clusters.length) say(`    (${w.clusters.length ? 'the first clusters down' : 'counts only'}; a large wave lists no more)`);
    for (const c of w.clusters) say(`    ${c.id.padEnd(14)} ${c.state.padEnd(12)} ${c.commit ? c.commit.slice(0, 12) : '-'}`);
  }
  for (const w of insecureWarnings(s.insecure)) say(`  WARNING: ${w}`);
  for (const r of s.reasons) say(`  reason: ${r}`);
  for (const a of s.approvals) say(`  approved wave ${a.wave} by ${a.by} at ${a.at}`);
}

const operator = () => process.env.LUCID_OPERATOR ?? os.userInfo().username;

export function registerRolloutCommands(program: Command, run: (fn: (ctx: ConsoleContext) => Promise<number>, json?: boolean) => void): void {
  const cmd = program.command('rollout').description(COMMAND_INDEX.rollout.description);

  /** Full sha of a commit the console knows; rollouts are addressed by it. */
  const resolve = async (ctx: ConsoleContext, ref: string) => (await ctx.mirror().fetchAndResolve(commitRef('<sha>', ref))).sha;
  /** A rollout's commit, also when the repo never served it (a rollout that halted waiting for its commit). */
  const rolloutCommit = async (ctx: ConsoleContext, raw: string) => {
    const ref = commitRef('<sha>', raw);
    if (/^[0-9a-f]{40}$/.test(ref)) return ref;
    try {
      return await resolve(ctx, ref);
    } catch (err) {
      const known = await (await ctx.rollouts()).commitsStartingWith(ref);
      if (known.length === 1) return known[0]!;
      throw err;
    }
  };

  cmd
    .command('start')
    .description('start rollout-<sha> (default: the branch head); a commit already rolled out is not started again')
    .option('--commit <sha>', 'commit (full or short sha)')
    .option('--wait', 'wait for the end; exit 0 succeeded, 3 halted and rolled back, 2 bad input, 1 aborted')
    .option('--json', 'JSON on stdout')
    .action((o: { commit?: string; wait?: boolean; json?: boolean }) =>
      run(async (ctx) => {
        const { commit } = await ctx.gatedAt(optionalCommitRef('--commit', o.commit));
        const client = await ctx.temporal();
        const { workflowId, started } = await startRollout(client, commit.sha, { source: 'cli', by: operator() });
        say(`${started ? 'started' : 'already exists:'} ${workflowId} (${commit.subject})`);
        if (!o.wait) {
          if (o.json) printJson({ workflowId, commit: commit.sha, started });
          return EXIT.ok;
        }
        const status = await client.workflow.getHandle<typeof rollout>(workflowId).result();
        printStatus(status, o.json);
        return STATE_EXIT[status.state];
      }, o.json),
    );

  cmd
    .command('status <sha>')
    .description("a rollout's state, each wave and each cluster")
    .option('--json', 'JSON on stdout')
    .action((sha: string, o: { json?: boolean }) =>
      run(async (ctx) => {
        const full = await rolloutCommit(ctx, sha);
        const client = await ctx.temporal();
        const status =
          (await client.workflow
            .getHandle<typeof rollout>(rolloutWorkflowId(full))
            .query(statusQuery)
            .catch(() => undefined)) ?? (await (await ctx.rollouts()).get(full));
        if (!status) throw new CliExit(EXIT.badInput, `no rollout of ${full}`);
        printStatus(status, o.json);
        return EXIT.ok;
      }, o.json),
    );

  cmd
    .command('retry <sha>')
    .description('run a halted or aborted rollout again under the same id; clears the commit\'s bad mark, recorded in history')
    .requiredOption('--by <name>', 'who retries (recorded in the rollout\'s history)')
    .option('--reason <text>', 'why')
    .option('--wait', 'wait for the end; exit codes as for start')
    .option('--json', 'JSON on stdout')
    .action((sha: string, o: { by: string; reason?: string; wait?: boolean; json?: boolean }) =>
      run(async (ctx) => {
        const full = await rolloutCommit(ctx, sha);
        const client = await ctx.temporal();
        const { workflowId } = await retryRollout(client, full, o.by, o.reason).catch((err: unknown) => {
          if (err instanceof RetryRefused) throw new CliExit(EXIT.badInput, err.message);
          throw err;
        });
        say(`retrying ${workflowId} (by ${o.by})`);
        if (!o.wait) {
          if (o.json) printJson({ workflowId, commit: full, started: true });
          return EXIT.ok;
        }
        const status = await client.workflow.getHandle<typeof rollout>(workflowId).result();
        printStatus(status, o.json);
        return STATE_EXIT[status.state];
      }, o.json),
    );

  cmd
    .command('history <sha>')
    .description('what happened, when and why, from the workflow history')
    .option('--json', 'JSON on stdout')
    .action((sha: string, o: { json?: boolean }) =>
      run(async (ctx) => {
        const full = await rolloutCommit(ctx, sha);
        const codecs = lucidDataConverter(payloadKeys())?.payloadCodecs ?? [];
        const entries = await rolloutHistory(await ctx.temporal(), await ctx.rollouts(), full, codecs).catch((err: Error) => {
          throw new CliExit(EXIT.badInput, `cannot read the history of rollout-${full}: ${err.message}`);
        });
        if (o.json) printJson(entries);
        else for (const e of entries) process.stdout.write(`${e.at}  ${e.what}\n`);
        return EXIT.ok;
      }, o.json),
    );

  cmd
    .command('approve <sha>')
    .description('approve the next wave waiting for approval (or --wave)')
    .option('--wave <name>', 'wave to approve')
    .option('--by <name>', 'who approves (default: $LUCID_OPERATOR or the login name)')
    .option('--json', 'JSON on stdout')
    .action((sha: string, o: { wave?: string; by?: string; json?: boolean }) =>
      run(async (ctx) => {
        const handle = (await ctx.temporal()).workflow.getHandle<typeof rollout>(rolloutWorkflowId(await resolve(ctx, sha)));
        const approval = await handle
          .executeUpdate(approveUpdate, { args: [{ wave: o.wave, by: o.by ?? operator() }] })
          .catch((err: Error) => {
            throw new CliExit(EXIT.badInput, `approval refused: ${err.cause instanceof Error ? err.cause.message : err.message}`);
          });
        if (o.json) printJson(approval);
        else say(`approved wave ${approval.wave} by ${approval.by}`);
        return EXIT.ok;
      }, o.json),
    );

  for (const [name, what] of [
    ['pause', 'hold the rollout before its next wave'],
    ['resume', 'let a paused rollout go on'],
    ['abort', 'stop the rollout before its next wave'],
  ] as const) {
    cmd
      .command(`${name} <sha>`)
      .description(what)
      .option('--by <name>', 'who (default: $LUCID_OPERATOR or the login name)')
      .option('--reason <text>', 'why')
      .action((sha: string, o: { by?: string; reason?: string }) =>
        run(async (ctx) => {
          const handle = (await ctx.temporal()).workflow.getHandle(rolloutWorkflowId(await resolve(ctx, sha)));
          await handle.signal(operatorSignals[name], { by: o.by ?? operator(), reason: o.reason });
          say(`${name} sent to ${handle.workflowId}`);
          return EXIT.ok;
        }),
      );
  }
}
