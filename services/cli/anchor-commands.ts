import * as fs from 'node:fs';
import type { Command } from 'commander';
import { verifyProofOffline, verifyProofOnChain } from '../../anchoring/proof-document';
import { AnchorChain } from '../../chain/anchor-chain';
import { batcherSettings } from '../../config/chain-config';
import { AnchorStore } from '../../stores/anchor-store';
import { startAnchorBatch } from '../../triggers/anchor-batcher';
import { SessionStore } from '../../stores/session-store';
import { anchorStatus } from '../anchor-status';
import type { ConsoleContext } from '../console-context';
import { CliExit, EXIT, counted, printJson, say } from './cli-output';
import { SESSION_INTEGRITY_FAILED } from './session-commands';
import { COMMAND_INDEX } from './command-index';

export function registerAnchorCommands(program: Command, run: (fn: (ctx: ConsoleContext) => Promise<number>, json?: boolean) => void): void {
  const anchor = program.command('anchor').description(COMMAND_INDEX.anchor.description);
  anchor
    .command('retry <batchId>')
    .description('run a batch the chain refused (or lost) again, once what made it fail is fixed; the same batch id')
    .action((batchId: string) =>
      run(async (ctx) => {
        const doc = await new AnchorStore(await ctx.db()).batch(batchId);
        if (!doc) throw new CliExit(EXIT.badInput, `no sealed batch '${batchId}' (see lucid anchor status)`);
        if (doc.receipt) throw new CliExit(EXIT.badInput, `batch ${batchId} is anchored already (tx ${doc.receipt.txHash})`);
        const batch = { batchId, root: doc.root, count: doc.count, sessionIds: doc.sessions.map((s) => s.sessionId) };
        const workflowId = await startAnchorBatch(await ctx.temporal(), batch, batcherSettings().confirmations);
        say(`anchoring ${batchId} again: workflow ${workflowId}`);
        return EXIT.ok;
      }),
    );
  anchor
    .command('status')
    .description('the anchoring queue, the last batch, the chain head, the event index and anchor latency')
    .option('--json', 'JSON on stdout: {pending, lastBatch, chainHead, indexerBlock, latencySeconds: {p50, p95}}')
    .action((o: { json?: boolean }) =>
      run(async (ctx) => {
        const db = await ctx.db();
        const s = await anchorStatus({ anchors: new AnchorStore(db), sessions: new SessionStore(db), chain: ctx.chainEndpoint() });
        if (o.json) printJson(s);
        else {
          say(`pending ${s.pending}; chain head ${s.chainHead ?? '-'}${s.chainError ? ` (${s.chainError})` : ''}; indexer at block ${s.indexerBlock}`);
          say(s.lastBatch ? `last batch ${s.lastBatch.id} (${counted(s.lastBatch.count, 'session')}) tx ${s.lastBatch.txHash} block ${s.lastBatch.block}` : 'no batch anchored yet');
          say(`latency p50 ${s.latencySeconds.p50 ?? '-'} s, p95 ${s.latencySeconds.p95 ?? '-'} s`);
          for (const f of s.failed) say(`REFUSED batch ${f.batchId}: ${f.reason} (lucid anchor retry ${f.batchId} once fixed)`);
        }
        return EXIT.ok;
      }, o.json),
    );

  program
    .command('proof')
    .description(COMMAND_INDEX.proof.description)
    .command('verify <file>')
    .description('check a proof document offline, and against an EVM node with --rpc; exit 5 names what failed')
    .option('--rpc <url>', 'EVM JSON-RPC endpoint to check the anchor against')
    .option('--confirmations <n>', 'confirmations the anchor needs (with --rpc)', '1')
    .option('--json', 'JSON on stdout: {ok, checks: [{check, ok, detail}], failure}')
    .action((file: string, o: { rpc?: string; confirmations: string; json?: boolean }) =>
      run(async () => {
        let doc: unknown;
        try {
          doc = JSON.parse(fs.readFileSync(file, 'utf8'));
        } catch (err) {
          throw new CliExit(EXIT.badInput, `${file}: not a readable JSON proof document: ${(err as Error).message}`);
        }
        const verdict = o.rpc ? await verifyProofOnChain(doc, o.rpc, Number(o.confirmations)) : verifyProofOffline(doc);
        if (o.json) printJson(verdict);
        for (const c of verdict.checks) say(`${c.ok ? 'ok  ' : 'FAIL'} ${c.check}${c.detail ? `: ${c.detail}` : ''}`);
        say(verdict.ok ? `${file}: valid${o.rpc ? ` on ${o.rpc}` : ' (offline; add --rpc to check the chain)'}` : `${file}: INVALID: ${verdict.failure}`);
        return verdict.ok ? EXIT.ok : SESSION_INTEGRITY_FAILED;
      }, o.json),
    );

  program
    .command('chain')
    .description(COMMAND_INDEX.chain.description)
    .command('reindex')
    .description('rebuild the Anchored event index from a block on; the indexer reads it again from the chain')
    .requiredOption('--from <block>', 'first block to read again')
    .option('--wait-seconds <n>', 'how long to wait for the indexer to reach the chain head', '120')
    .option('--json', 'JSON on stdout: {from, head, events, seconds}')
    .action((o: { from: string; waitSeconds: string; json?: boolean }) =>
      run(async (ctx) => {
        const from = Number(o.from);
        if (!Number.isInteger(from) || from < 0) throw new CliExit(EXIT.badInput, `--from: '${o.from}' is not a block number`);
        const anchors = new AnchorStore(await ctx.db());
        const started = Date.now();
        await anchors.reindexFrom(from);
        const head = (await new AnchorChain(ctx.chainEndpoint()).head()).number;
        const deadline = started + Number(o.waitSeconds) * 1000;
        while ((await anchors.cursor()).next <= head) {
          if (Date.now() > deadline) throw new CliExit(EXIT.failure, `the indexer did not reach block ${head} within ${o.waitSeconds}s (is the control worker running?)`);
          await new Promise((r) => setTimeout(r, 250));
        }
        const result = { from, head, events: await anchors.eventCount(), seconds: (Date.now() - started) / 1000 };
        if (o.json) printJson(result);
        else say(`reindexed blocks ${from}..${head}: ${result.events} events in ${result.seconds.toFixed(1)} s`);
        return EXIT.ok;
      }, o.json),
    );
}
