import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Address } from 'viem';
import { monthPaidAt } from '../../common/payout-month';
import { PayoutStore } from '../../stores/payout-store';
import { SessionStore } from '../../stores/session-store';
import { ensurePayoutSchedule } from '../../triggers/payout-schedule';
import type { PayoutStatus } from '../../workflows/payout-types';
import { PAYOUT_SCHEDULE_ID, payoutWorkflowId } from '../../workflows/task-queues';
import { eventually, kill9 } from '../anchoring/anchor-fixtures';
import { FleetHarness } from '../support/fleet-harness';
import { PayoutChainFixture, anchorAll, commitPayoutConfig, filesHolding, randomRecipient, recordedSession } from './payout-fixtures';

const SETTINGS = { LUCID_ANCHOR_MAX_BATCH: '64', LUCID_ANCHOR_MAX_WAIT_SECONDS: '1', LUCID_ANCHOR_CONFIRMATIONS: '1' };
const USDT = 1_000_000n;
let h: FleetHarness;
let fx: PayoutChainFixture;
let sessions: SessionStore;
let payouts: PayoutStore;
let chainWorker: ChildProcess;
let walletWorker: ChildProcess;
const nodes = { 'n-a': randomRecipient(), 'n-b': randomRecipient(), 'n-c': randomRecipient(), 'n-d': randomRecipient() };
const addresses = Object.fromEntries(Object.entries(nodes).map(([n, r]) => [n, r.tron]));
const recipients = Object.values(nodes).map((r) => r.evm) as Address[];

beforeAll(async () => {
  Object.assign(process.env, SETTINGS);
  h = await FleetHarness.start('payouts', []);
  sessions = new SessionStore(h.db);
  payouts = new PayoutStore(h.db);
  fx = await PayoutChainFixture.start({ port: h.stack.chainPort + 41, dir: path.join(h.dataDir, 'chain') });
  await h.startControlWorker(fx.chain.endpoint);
  chainWorker = h.spawnWorker('chain', 'chain', fx.chain.vars);
  walletWorker = h.spawnWorker('wallet', 'wallet', fx.walletVars);
  await commitPayoutConfig(h, addresses, { approvals: { approvers: ['alice', 'bob', 'carol'], required: 1, twoApproversAbove: '2000' } });
});
afterAll(async () => {
  for (const k of Object.keys(SETTINGS)) delete process.env[k];
  await h?.client.schedule.getHandle(PAYOUT_SCHEDULE_ID).delete().catch(() => undefined);
  if (walletWorker) await kill9(walletWorker);
  if (chainWorker) await kill9(chainWorker);
  await h?.close();
  await fx?.close();
});

const at = (iso: string) => new Date(iso);
const deltas = async <T>(fn: () => Promise<T>): Promise<{ result: T; paid: bigint[] }> => {
  const before = await fx.balances(recipients);
  const result = await fn();
  const after = await fx.balances(recipients);
  return { result, paid: after.map((a, i) => a - before[i]!) };
};
const status = async (month: string) => JSON.parse((await h.cli(['payout', 'status', '--month', month, '--json'])).stdout) as PayoutStatus;

describe('monthly payouts, end to end on the chain, Temporal and MongoDB', () => {
  it('pays three nodes exactly what the policy says for anchored sessions, with receipts; the unanchored earn nothing; a small amount carries over', async () => {
    const anchored = [
      await recordedSession(sessions, 'n-a', at('2026-09-10T12:00:00Z'), 10),
      await recordedSession(sessions, 'n-b', at('2026-09-11T12:00:00Z'), 4, 2_000_000_000),
      await recordedSession(sessions, 'n-c', at('2026-09-12T12:00:00Z'), 1),
    ];
    await anchorAll(h, anchored);
    // Never anchored: n-a's second session and all of n-d's earn nothing.
    await recordedSession(sessions, 'n-a', at('2026-09-13T12:00:00Z'), 3);
    await recordedSession(sessions, 'n-d', at('2026-09-14T12:00:00Z'), 8);

    const { result, paid } = await deltas(async () => {
      const run = await h.cli(['payout', 'run', '--month', '2026-09', '--json']);
      expect(run.code).toBe(4);
      expect(JSON.parse(run.stdout)).toMatchObject({ state: 'awaiting-approval', total: '7200000', holdReasons: [] });
      const approve = await h.cli(['payout', 'approve', '--month', '2026-09', '--by', 'alice']);
      expect(approve.code).toBe(0);
      return eventually('September to be paid', async () => ((await status('2026-09')).state === 'paid' ? status('2026-09') : undefined));
    });
    // 10 h x 0.50; 4 h x 0.50 + 2 GB x 0.10; 1 h x 0.50 is under the 1.00 minimum; n-d recorded nothing anchored.
    expect(paid).toEqual([5n * USDT, 2_200_000n, 0n, 0n]);
    expect(result).toMatchObject({
      month: '2026-09',
      state: 'paid',
      total: '7200000',
      nodes: [
        { node: 'n-a', address: addresses['n-a'], amount: '5000000', reasons: ['session-hours'] },
        { node: 'n-b', address: addresses['n-b'], amount: '2200000', reasons: ['session-hours', 'session-gb'] },
        { node: 'n-c', address: addresses['n-c'], amount: '0', reasons: ['session-hours', 'carry-over'] },
      ],
      approvals: [{ by: 'alice' }],
    });
    expect(result.txs).toHaveLength(1);

    const receipts = JSON.parse((await h.cli(['payout', 'receipts', '--month', '2026-09', '--json'])).stdout) as Array<Record<string, unknown>>;
    expect(receipts).toEqual([
      expect.objectContaining({ txHash: result.txs[0], node: 'n-a', recipient: nodes['n-a'].evm, amount: '5000000', reasonNames: ['session-hours'] }),
      expect.objectContaining({ txHash: result.txs[0], node: 'n-b', recipient: nodes['n-b'].evm, amount: '2200000', reasonNames: ['session-hours', 'session-gb'] }),
    ]);
    expect(typeof receipts[0]!.blockNumber).toBe('number');

    // October: n-c's half hour carried over meets another: 1.00, paid with both reasons.
    await anchorAll(h, [await recordedSession(sessions, 'n-c', at('2026-10-02T00:00:00Z'), 1)]);
    const october = await deltas(async () => {
      expect((await h.cli(['payout', 'run', '--month', '2026-10'])).code).toBe(4);
      expect((await h.cli(['payout', 'approve', '--month', '2026-10', '--by', 'bob'])).code).toBe(0);
      return eventually('October to be paid', async () => ((await status('2026-10')).state === 'paid' ? status('2026-10') : undefined));
    });
    expect(october.paid).toEqual([0n, 0n, 1n * USDT, 0n]);
    expect(october.result.nodes).toEqual([{ node: 'n-c', address: addresses['n-c'], amount: '1000000', reasons: ['session-hours', 'carry-over'] }]);
  });

  it('the Schedule exists paused until a dry run passes, runs the month it is triggered for, and a run by hand then pays nothing more', async () => {
    const month = monthPaidAt(new Date());
    await commitPayoutConfig(h, addresses, { approvals: { approvers: ['alice', 'bob'], required: 0, twoApproversAbove: '2000' } });
    await anchorAll(h, [await recordedSession(sessions, 'n-b', new Date(Date.parse(`${month}-15T00:00:00Z`)), 6)]);
    await ensurePayoutSchedule(h.client);
    const schedule = h.client.schedule.getHandle(PAYOUT_SCHEDULE_ID);
    const described = await schedule.describe();
    expect(described.state.paused).toBe(true);
    expect(described.policies).toMatchObject({ overlap: 'BUFFER_ALL', catchupWindow: 20 * 24 * 3600 * 1000 });
    const once = (v: number) => [{ start: v, end: v, step: 1 }];
    expect(described.spec.calendars).toEqual([expect.objectContaining({ dayOfMonth: once(1), hour: once(0), minute: once(0) })]);

    const dry = await deltas(() => h.cli(['payout', 'run', '--month', month, '--dry-run', '--json']));
    expect(dry.result.code).toBe(0);
    expect(JSON.parse(dry.result.stdout)).toMatchObject({ passed: true, total: '3000000', simulations: [{ ok: true }] });
    expect(dry.paid).toEqual([0n, 0n, 0n, 0n]);
    expect((await schedule.describe()).state.paused).toBe(false);
    const preview = await h.cli(['payout', 'preview', '--month', month, '--json']);
    expect(preview.code).toBe(0);
    expect(JSON.parse(preview.stdout)).toMatchObject({ month, state: 'previewing', passed: true, nodes: [{ node: 'n-b', amount: '3000000' }] });

    const scheduled = await deltas(async () => {
      await schedule.trigger();
      return eventually(`${month} to be paid by the Schedule`, async () => {
        const s = await h.client.workflow.getHandle(payoutWorkflowId(month)).describe().catch(() => undefined);
        return s?.status.name === 'COMPLETED' ? s : undefined;
      });
    });
    expect(scheduled.paid).toEqual([0n, 3n * USDT, 0n, 0n]);

    const byHand = await deltas(() => h.cli(['payout', 'run', '--month', month, '--json']));
    expect(byHand.result.code).toBe(0);
    expect(JSON.parse(byHand.result.stdout)).toMatchObject({ month, state: 'paid', total: '3000000' });
    expect(byHand.paid).toEqual([0n, 0n, 0n, 0n]);
    // And the Schedule once more: it attaches to the paid month.
    const again = await deltas(async () => {
      await schedule.trigger();
      await eventually('the second scheduled run to close', async () => {
        let closed = 0;
        for await (const wf of h.client.workflow.list({ query: `WorkflowType = 'scheduledPayout' AND ExecutionStatus = 'Completed'` })) if (wf) closed++;
        return closed >= 2;
      });
    });
    expect(again.paid).toEqual([0n, 0n, 0n, 0n]);
  });

  it('holds a node over its cap; above the threshold one approval is not enough, and the same approver twice is refused; two distinct approvers pay', async () => {
    await commitPayoutConfig(h, addresses, {
      caps: { perNodePerMonth: '3', perBatch: '5000', perMonth: '20000' },
      approvals: { approvers: ['alice', 'bob', 'carol'], required: 0, twoApproversAbove: '4' },
    });
    await anchorAll(h, [await recordedSession(sessions, 'n-a', at('2026-08-20T00:00:00Z'), 10)]);
    const { result, paid } = await deltas(async () => {
      const run = await h.cli(['payout', 'run', '--month', '2026-08', '--json']);
      expect(run.code).toBe(4);
      expect(JSON.parse(run.stdout)).toMatchObject({ state: 'held', holdReasons: ['node n-a: 5 USDT is over the per-node cap of 3 USDT'] });
      expect((await h.cli(['payout', 'approve', '--month', '2026-08', '--by', 'alice'])).code).toBe(0);
      expect(await status('2026-08')).toMatchObject({ state: 'held', approvals: [{ by: 'alice' }] });
      const twice = await h.cli(['payout', 'approve', '--month', '2026-08', '--by', 'alice']);
      expect(twice.code).toBe(4);
      expect(twice.stderr).toMatch(/alice approved payout 2026-08 already/);
      const stranger = await h.cli(['payout', 'approve', '--month', '2026-08', '--by', 'mallory']);
      expect(stranger.code).toBe(4);
      expect(stranger.stderr).toMatch(/'mallory' is not an approver/);
      expect((await h.cli(['payout', 'approve', '--month', '2026-08', '--by', 'bob'])).code).toBe(0);
      return eventually('August to be paid', async () => ((await status('2026-08')).state === 'paid' ? status('2026-08') : undefined));
    });
    expect(paid).toEqual([5n * USDT, 0n, 0n, 0n]);
    expect(result.approvals.map((a) => a.by)).toEqual(['alice', 'bob']);
  });

  it.each([
    ['a payout address that is not TRON base58check', 'clusters/payout-addresses.yaml', 'nodes.n-a', { ...addresses, 'n-a': 'TNotAnAddress000000000000000000000' }, {}],
    ['a policy amount finer than the token', 'policies/payouts.yaml', 'minimumPayout', addresses, { minimumPayout: '0.0000001' }],
  ])('refuses %s before anything is signed, naming file and field', async (_what, file, field, addrs, policy) => {
    const month = file.startsWith('clusters') ? '2026-07' : '2026-06';
    await commitPayoutConfig(h, addrs, policy);
    await anchorAll(h, [await recordedSession(sessions, 'n-a', at(`${month}-20T00:00:00Z`), 4)]);
    const { result, paid } = await deltas(() => h.cli(['payout', 'run', '--month', month, '--json']));
    expect(result.code).toBe(4);
    expect(result.stderr).toContain(`${file}: ${field}:`);
    expect(JSON.parse(result.stdout)).toMatchObject({ month, state: 'failed' });
    expect(paid).toEqual([0n, 0n, 0n, 0n]);
    expect(await payouts.sealed(month)).toBeUndefined();
    expect(await h.db.collection('payout_signed_txs').countDocuments({ month })).toBe(0);
  });

  it('the wallet key is nowhere but the keystore: not in the Temporal database, MongoDB\'s files, any log, nor another worker\'s environment', async () => {
    const hex = fx.walletKey.slice(2);
    const needles = [hex, hex.toUpperCase(), fx.walletKey].map((t) => Buffer.from(t)).concat(Buffer.from(hex, 'hex'));
    expect((await payouts.receiptsOf('2026-09')).length).toBeGreaterThan(0); // the key has signed by now
    const stackDir = h.stack.dataDir;
    // The dev engine keeps Temporal's SQLite file and FerretDB's apart; the postgres engine both in one PostgreSQL.
    const [stores, marker] =
      h.stack.engine === 'postgres'
        ? [[path.join(stackDir, 'postgres')], path.join(stackDir, 'postgres', 'data', 'PG_VERSION')]
        : [[path.join(stackDir, 'temporal'), path.join(stackDir, 'ferretdb')], path.join(stackDir, 'temporal', 'temporal.db')];
    expect(fs.existsSync(marker)).toBe(true);
    for (const dir of stores) expect(filesHolding(dir, needles)).toEqual([]);
    // The same search finds what is there: the signed transaction's hash, in each.
    const tx = Buffer.from((await payouts.receiptsOf('2026-09'))[0]!.txHash!);
    for (const dir of stores) expect(filesHolding(dir, [tx]).length).toBeGreaterThan(0);
    // Every process's log: the stack's, and this fleet's workers' (the wallet worker's among them).
    expect(fs.existsSync(path.join(h.dataDir, 'worker-wallet.log'))).toBe(true);
    expect(filesHolding(stackDir, needles, (f) => f.endsWith('.log'))).toEqual([]);
    // The control worker runs in this process; the chain worker and the wallet worker are their own.
    for (const pid of [process.pid, chainWorker.pid!, walletWorker.pid!]) {
      const environ = fs.readFileSync(`/proc/${pid}/environ`);
      for (const n of needles) expect(environ.includes(n)).toBe(false);
    }
    expect(fs.readFileSync(fx.keystoreFile).includes(Buffer.from(hex))).toBe(false);
  });
});
