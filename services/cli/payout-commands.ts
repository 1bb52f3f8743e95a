import type { Command } from 'commander';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { isPayoutMonth } from '../../common/payout-month';
import { formatTokenAmount } from '../../common/token-amount';
import { PayoutStore } from '../../stores/payout-store';
import { startPayout } from '../../triggers/payout-trigger';
import { approvePayoutUpdate, payoutStatusQuery } from '../../workflows/payout-messages';
import { payoutDryRun, payoutStatusOf } from '../payout-status';
import type { PayoutStatus } from '../../workflows/payout-types';
import { payoutWorkflowId } from '../../workflows/task-queues';
import type { ConsoleContext } from '../console-context';
import { CliExit, EXIT, printJson, say } from './cli-output';
import { COMMAND_INDEX } from './command-index';

/** A payout refused (bad policy or address, a router that refuses the batch) or held for approval. */
export const PAYOUT_REFUSED_OR_HELD = 4;

const WAITING: ReadonlyArray<PayoutStatus['state']> = ['held', 'awaiting-approval'];

function checkedMonth(month: string): string {
  if (!isPayoutMonth(month)) throw new CliExit(EXIT.badInput, `--month: '${month}' is not a month (YYYY-MM)`);
  return month;
}

function show(s: PayoutStatus): void {
  const amount = (v: string) => (s.token ? `${formatTokenAmount(BigInt(v), s.token.decimals)} ${s.token.symbol}` : `${v} base units`);
  say(`payout ${s.month}: ${s.state}, total ${amount(s.total)}${s.error ? ` (${s.error})` : ''}`);
  for (const n of s.nodes) say(`  ${n.node.padEnd(20)} ${n.address} ${amount(n.amount).padStart(14)}  ${n.reasons.join(',')}`);
  for (const r of s.holdReasons) say(`  HOLD ${r}`);
  for (const a of s.approvals) say(`  approved by ${a.by} at ${a.at}`);
  for (const t of s.txs) say(`  tx ${t}`);
}

function exitOf(s: PayoutStatus): number {
  if (s.state === 'paid') return EXIT.ok;
  if (WAITING.includes(s.state)) return PAYOUT_REFUSED_OR_HELD;
  return s.state === 'failed' ? PAYOUT_REFUSED_OR_HELD : EXIT.failure;
}

/** The month's status from its workflow (open or closed); a month never started is bad input. */
async function statusOf(client: Client, month: string): Promise<PayoutStatus> {
  const s = await payoutStatusOf(client, month);
  if (!s) throw new CliExit(EXIT.badInput, `no payout for ${month} (lucid payout run --month ${month})`);
  return s;
}

/** Runs (or attaches to) the month until it is paid, held for approval, or failed. */
async function runUntilSettled(client: Client, month: string, waitSeconds: number): Promise<PayoutStatus> {
  const { handle, attached } = await startPayout(client, month);
  if (attached) say(`payout ${month} runs already: attached to ${handle.workflowId}`);
  const deadline = Date.now() + waitSeconds * 1000;
  for (;;) {
    const s = await handle.query(payoutStatusQuery);
    if (s.state === 'paid' || s.state === 'failed' || WAITING.includes(s.state)) return s;
    if (Date.now() > deadline) throw new CliExit(EXIT.failure, `payout ${month} is still ${s.state} after ${waitSeconds}s (lucid payout status --month ${month})`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

export function registerPayoutCommands(program: Command, run: (fn: (ctx: ConsoleContext) => Promise<number>, json?: boolean) => void): void {
  const payout = program.command('payout').description(COMMAND_INDEX.payout.description);

  const dryRun = async (ctx: ConsoleContext, month: string, json?: boolean): Promise<number> => {
    const s = await payoutDryRun(await ctx.temporal(), await ctx.db(), checkedMonth(month));
    if (json) printJson(s);
    show(s);
    for (const sim of s.simulations) say(`  batch ${sim.batchId}: ${sim.ok ? `ok, gas ${sim.gas}` : `REFUSED ${sim.reason}: ${sim.message}`}`);
    return s.state === 'failed' || !s.passed ? PAYOUT_REFUSED_OR_HELD : EXIT.ok;
  };

  payout
    .command('preview')
    .description("the month's statement and its dry run (the router call simulated on chain); nothing is signed")
    .requiredOption('--month <YYYY-MM>', 'the month to pay')
    .option('--json', 'JSON on stdout: the status, {simulations, passed}')
    .action((o: { month: string; json?: boolean }) => run((ctx) => dryRun(ctx, o.month, o.json), o.json));

  payout
    .command('run')
    .description('pay a month (or attach to its run): waits until it is paid, held for approval or failed')
    .requiredOption('--month <YYYY-MM>', 'the month to pay')
    .option('--dry-run', 'aggregate, state and simulate only; a passing dry run unpauses the monthly Schedule')
    .option('--wait-seconds <n>', 'how long to wait for the payout to settle', '600')
    .option('--json', 'JSON on stdout: the status')
    .action((o: { month: string; dryRun?: boolean; waitSeconds: string; json?: boolean }) =>
      run(async (ctx) => {
        if (o.dryRun) return dryRun(ctx, o.month, o.json);
        const s = await runUntilSettled(await ctx.temporal(), checkedMonth(o.month), Number(o.waitSeconds));
        if (o.json) printJson(s);
        show(s);
        return exitOf(s);
      }, o.json),
    );

  payout
    .command('approve')
    .description('approve a held or waiting payout; above the policy threshold two distinct approvers are needed')
    .requiredOption('--month <YYYY-MM>', 'the month')
    .requiredOption('--by <name>', 'who approves (an approver of policies/payouts.yaml)')
    .option('--json', 'JSON on stdout: the status')
    .action((o: { month: string; by: string; json?: boolean }) =>
      run(async (ctx) => {
        const month = checkedMonth(o.month);
        const client = await ctx.temporal();
        await statusOf(client, month);
        let s: PayoutStatus;
        try {
          s = await client.workflow.getHandle(payoutWorkflowId(month)).executeUpdate(approvePayoutUpdate, { args: [{ by: o.by }] });
        } catch (err) {
          if (err instanceof WorkflowUpdateFailedError) throw new CliExit(PAYOUT_REFUSED_OR_HELD, `approval refused: ${err.cause?.message ?? err.message}`);
          throw err;
        }
        if (o.json) printJson(s);
        show(s);
        return EXIT.ok;
      }, o.json),
    );

  payout
    .command('status')
    .description("a month's payout: state, total, nodes, transactions, approvals, hold reasons")
    .requiredOption('--month <YYYY-MM>', 'the month')
    .option('--json', 'JSON on stdout: {month, state, total, nodes, txs, approvals, holdReasons}')
    .action((o: { month: string; json?: boolean }) =>
      run(async (ctx) => {
        const s = await statusOf(await ctx.temporal(), checkedMonth(o.month));
        if (o.json) printJson(s);
        show(s);
        return EXIT.ok;
      }, o.json),
    );

  payout
    .command('receipts')
    .description("a month's payout receipts (MongoDB payout_receipts): tx, block, recipient, amount and reason codes")
    .requiredOption('--month <YYYY-MM>', 'the month')
    .option('--json', 'JSON on stdout: [{batchId, txHash, blockNumber, node, recipient, amount, reasons, reasonNames}]')
    .action((o: { month: string; json?: boolean }) =>
      run(async (ctx) => {
        const receipts = await new PayoutStore(await ctx.db()).receiptsOf(checkedMonth(o.month));
        if (o.json) printJson(receipts.map(({ _id, recordedAt, ...r }) => r));
        for (const r of receipts) say(`${r.txHash ?? '(paid elsewhere)'} block ${r.blockNumber ?? '-'} ${r.node} ${r.recipient} ${r.amount} ${r.reasonNames.join(',')}`);
        if (receipts.length === 0) say(`no receipts for ${o.month}`);
        return EXIT.ok;
      }, o.json),
    );
}
