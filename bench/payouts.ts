import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { getAddress, type Address, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { anvilArgs, rpcChainId } from '../chain/anvil';
import { EvmPayoutChain } from '../chain/evm-payout-chain';
import { lucidTestTokenAbi } from '../chain/lucid-test-token-abi';
import type { PayBatch } from '../chain/payout-chain';
import { ownerSession, provisionPayouts } from '../chain/provision-payouts';
import { parsePayoutPolicy } from '../config/payout-policy';
import { payoutPolicyYaml, samplePayoutPolicy } from '../demo/sample-payouts';
import { aggregateMonth, type RecordedSession } from '../payouts/aggregation';
import { planBatches } from '../payouts/batch-plan';
import { planPayout } from '../payouts/payout-plan';
import { toolPaths } from '../services/stack/tool-paths';

/**
 * bench:payouts: one month with 10,000 recipients. Aggregation and planning run on 50,000 in-memory sessions (the
 * MongoDB read is not timed). Gas is measured on a fresh anvil with the real LucidPayoutRouter and test token:
 * payBatch at several batch sizes, the batch size chosen from that measurement, then the whole month paid in
 * batches of it; against it, one ERC-20 transfer per recipient, measured for TRANSFERS recipients and scaled to
 * the month (the scaling is the only extrapolation). EVM gas on anvil, not TRON energy.
 */
const RECIPIENTS = Number(process.env.BENCH_RECIPIENTS ?? 10_000);
const SESSIONS_PER_NODE = 5;
const TRANSFERS = Number(process.env.BENCH_TRANSFERS ?? 500);
const SIZES = [10, 50, 100, 200, 400];
/** A batch should leave room in a 30M-gas block for other traffic: at most a third of it. */
const MAX_BATCH_GAS = 10_000_000n;
const MONTH = '2026-11';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fresh = (): Address => privateKeyToAccount(generatePrivateKey()).address;

function monthOfSessions(): { sessions: RecordedSession[]; nodes: string[] } {
  const nodes = Array.from({ length: RECIPIENTS }, (_, i) => `node-${String(i).padStart(5, '0')}`);
  const sessions: RecordedSession[] = [];
  for (const [i, nodeId] of nodes.entries()) {
    for (let s = 0; s < SESSIONS_PER_NODE; s++) {
      const endedAt = new Date(Date.UTC(2026, 10, 1 + ((i + s) % 28), 12));
      const startedAt = new Date(endedAt.getTime() - (1 + (i % 7)) * 3600_000);
      // One session in five is not anchored: it is read and earns nothing.
      sessions.push({ nodeId, startedAt, endedAt, bytes: 100_000_000 * (s + 1), anchored: s !== 4, failed: false });
    }
  }
  return { sessions, nodes };
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-bench-payouts-'));
  const port = Number(process.env.BENCH_CHAIN_PORT ?? 38545);
  const anvil = spawn(toolPaths().anvil, anvilArgs({ port, stateFile: path.join(dir, 'state.json'), stateIntervalSeconds: 3600 }), { stdio: 'ignore' });
  try {
    const rpcUrl = `http://127.0.0.1:${port}`;
    while ((await rpcChainId(rpcUrl)) === undefined) await new Promise((r) => setTimeout(r, 50));

    // Aggregation and planning: pure, in memory.
    const { sessions, nodes } = monthOfSessions();
    const addresses = new Map(nodes.map((n) => [n, { tron: `(bench) ${n}`, evm: fresh() }]));
    const policy = parsePayoutPolicy(payoutPolicyYaml(samplePayoutPolicy({ caps: { perNodePerMonth: '500', perBatch: '1000000', perMonth: '10000000' } })));
    const aggregateMs: number[] = [];
    const planMs: number[] = [];
    let plan = planPayout({ month: MONTH, chain: 'evm:31337', sessions, carryIn: new Map(), addresses, policy, history: { lastAddresses: new Map(), lastTotals: [] } });
    for (let r = 0; r < 5; r++) {
      let t = performance.now();
      aggregateMonth(sessions, MONTH);
      aggregateMs.push(performance.now() - t);
      t = performance.now();
      plan = planPayout({ month: MONTH, chain: 'evm:31337', sessions, carryIn: new Map(), addresses, policy, history: { lastAddresses: new Map(), lastTotals: [] } });
      planMs.push(performance.now() - t);
    }
    const statement = plan.statement.filter((l) => l.amount > 0n);

    // The chain: token, routers, a wallet that pays and an owner that mints.
    const walletKey = generatePrivateKey();
    const ownerKey = generatePrivateKey();
    const wallet = privateKeyToAccount(walletKey).address;
    const p = await provisionPayouts({ rpcUrl, ownerKey, wallet, kyc: [], batchCap: 10n ** 30n, fund: 10n ** 24n });
    const chain = new EvmPayoutChain({ rpcUrl, chainId: p.chainId, token: p.token, routers: p.routers });
    const pay = async (batch: PayBatch): Promise<bigint> => {
      const signed = await chain.sign(batch, walletKey);
      await chain.broadcast(signed.raw);
      for (;;) {
        const r = await chain.receipt(signed.hash);
        if (r) {
          if (r.status !== 'success') throw new Error(`batch ${batch.batchId} reverted`);
          return r.gasUsed;
        }
        await new Promise((res) => setTimeout(res, 20));
      }
    };
    const reasons = `0x01${'0'.repeat(62)}` as Hex;
    const probe = async (size: number) => {
      const lines = Array.from({ length: size }, () => ({ recipient: fresh(), amount: 1_000_000n, reasons }));
      // A random batch id: the probes are not a month's batches.
      return pay({ router: 'PR0', batchId: generatePrivateKey(), lines });
    };
    const bySize: Array<{ size: number; gas: bigint; perRecipient: number }> = [];
    for (const size of SIZES) {
      const gas = await probe(size);
      bySize.push({ size, gas, perRecipient: Number(gas) / size });
    }
    const fits = bySize.filter((s) => s.gas <= MAX_BATCH_GAS);
    const chosen = fits.reduce((best, s) => (s.perRecipient < best.perRecipient ? s : best), fits[0]!);

    // The whole month, in batches of the chosen size.
    const batches = planBatches(chain.chain, MONTH, plan.statement, { ...policy, batchSize: chosen.size });
    let monthGas = 0n;
    const t = performance.now();
    for (const b of batches) monthGas += await pay({ router: b.router, batchId: b.batchId, lines: b.lines });
    const monthSeconds = (performance.now() - t) / 1000;

    // One transfer per recipient, from a holder of the token (the owner mints to itself).
    const o = ownerSession(rpcUrl, ownerKey);
    await o.send(o.wallet.writeContract({ address: p.token, abi: lucidTestTokenAbi, functionName: 'mint', args: [o.owner.address, 10n ** 20n], chain: null }), 'mint');
    let transferGas = 0n;
    for (let i = 0; i < TRANSFERS; i++) {
      const r = await o.send(
        o.wallet.writeContract({ address: p.token, abi: lucidTestTokenAbi, functionName: 'transfer', args: [getAddress(fresh()), 1_000_000n], chain: null }),
        'transfer',
      );
      transferGas += r.gasUsed;
    }
    const perTransfer = Number(transferGas) / TRANSFERS;
    const perBatched = Number(monthGas) / statement.length;
    process.stdout.write(
      [
        `bench:payouts (one month, ${RECIPIENTS} recipients, ${sessions.length} sessions; medians of 5 for the pure steps)`,
        `  aggregation (${sessions.length} sessions -> ${RECIPIENTS} nodes)   ${median(aggregateMs).toFixed(0)} ms`,
        `  whole plan (aggregate, statement, batches, breakers)   ${median(planMs).toFixed(0)} ms`,
        '  payBatch gas by batch size (measured on anvil, fresh recipients):',
        ...bySize.map((s) => `    ${String(s.size).padStart(4)} recipients   ${s.gas} gas   ${s.perRecipient.toFixed(0)} gas per recipient${s === chosen ? '   <- chosen' : ''}`),
        `  chosen batch size ${chosen.size}: the lowest gas per recipient with a batch under ${MAX_BATCH_GAS} gas`,
        `  the month paid: ${statement.length} recipients, ${batches.length} transactions, ${monthGas} gas, ${perBatched.toFixed(0)} gas per recipient, ${monthSeconds.toFixed(1)} s`,
        `  one transfer per recipient: ${perTransfer.toFixed(0)} gas per recipient (measured over ${TRANSFERS}; ${statement.length} transactions for the month, scaled)`,
        `  ratio batched/transfer gas per recipient ${(perBatched / perTransfer).toFixed(3)}; transactions ${batches.length} vs ${statement.length} (ratio ${(batches.length / statement.length).toFixed(4)})`,
        '  not measured here: TRON energy and bandwidth (no TRON node runs here), the MongoDB read of the sessions',
        '',
      ].join('\n'),
    );
  } finally {
    anvil.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench:payouts: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
