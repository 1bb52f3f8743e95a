import type { Address } from 'viem';
import type { PayoutAddress } from '../../config/payout-addresses';
import { parsePayoutPolicy, type PayoutPolicy } from '../../config/payout-policy';
import { monthBounds, monthPaidAt, previousMonth } from '../../common/payout-month';
import { formatTokenAmount, parseTokenAmount } from '../../common/token-amount';
import { payoutPolicyYaml, samplePayoutPolicy } from '../../demo/sample-payouts';
import { aggregateMonth, type RecordedSession } from '../../payouts/aggregation';
import { batchIdOf, planBatches } from '../../payouts/batch-plan';
import { approvalsNeeded, tripBreakers } from '../../payouts/breakers';
import { decodeReasons, encodeReasons } from '../../payouts/reason-codes';
import { buildStatement } from '../../payouts/statement';

const policy = (o: Record<string, unknown> = {}): PayoutPolicy => parsePayoutPolicy(payoutPolicyYaml(samplePayoutPolicy(o)));
const addr = (n: number): PayoutAddress => ({ tron: `T-test-${n}`, evm: `0x${n.toString(16).padStart(40, '0')}` as Address });
const HOUR = 3600_000;

function session(nodeId: string, endedAt: string, hours: number, o: Partial<RecordedSession> = {}): RecordedSession {
  const end = new Date(endedAt);
  return { nodeId, startedAt: new Date(end.getTime() - hours * HOUR), endedAt: end, bytes: 0, anchored: true, failed: false, ...o };
}

describe('months and amounts', () => {
  it('bounds a month in UTC and names the month a scheduled run pays', () => {
    expect(monthBounds('2026-12')).toEqual({ start: new Date('2026-12-01T00:00:00Z'), end: new Date('2027-01-01T00:00:00Z') });
    expect(monthPaidAt(new Date('2027-01-01T00:00:00Z'))).toBe('2026-12');
    expect(monthPaidAt(new Date('2026-03-31T23:59:59Z'))).toBe('2026-02');
    expect(previousMonth('2026-01')).toBe('2025-12');
    expect(() => monthBounds('2026-13')).toThrow(/not a month/);
  });

  it('parses and prints decimals exactly', () => {
    expect(parseTokenAmount('12.345678', 6)).toBe(12_345_678n);
    expect(parseTokenAmount('7', 6)).toBe(7_000_000n);
    expect(formatTokenAmount(12_345_600n, 6)).toBe('12.3456');
    expect(formatTokenAmount(5_000_000n, 6)).toBe('5');
    expect(() => parseTokenAmount('0.1234567', 6)).toThrow(/7 decimals/);
  });
});

describe('aggregateMonth', () => {
  it("sums a node's anchored sessions of the month; unanchored and failed ones earn nothing", () => {
    const usage = aggregateMonth(
      [
        session('n-b', '2026-11-03T10:00:00Z', 2, { bytes: 500 }),
        session('n-a', '2026-11-30T23:59:59Z', 1),
        session('n-a', '2026-11-10T00:00:00Z', 3, { anchored: false }),
        session('n-a', '2026-11-11T00:00:00Z', 3, { failed: true }),
        session('n-a', '2026-12-01T00:00:00Z', 5),
        session('n-a', '2026-10-31T23:59:59Z', 5),
        session('n-c', '2026-11-05T00:00:00Z', 4, { anchored: false }),
      ],
      '2026-11',
    );
    expect(usage).toEqual([
      { node: 'n-a', sessions: 1, seconds: 3600, bytes: 0, unpaid: 2 },
      { node: 'n-b', sessions: 1, seconds: 7200, bytes: 500, unpaid: 0 },
      { node: 'n-c', sessions: 0, seconds: 0, bytes: 0, unpaid: 1 },
    ]);
  });
});

describe('buildStatement', () => {
  const addresses = new Map([['n-a', addr(1)], ['n-b', addr(2)], ['n-c', addr(3)]]);

  it('pays by the rates, carries an amount under the minimum over, and adds the carry-over next time', () => {
    const p = policy();
    const usage = aggregateMonth(
      [session('n-a', '2026-11-03T00:00:00Z', 10, { bytes: 2_000_000_000 }), session('n-b', '2026-11-03T00:00:00Z', 1)],
      '2026-11',
    );
    const lines = buildStatement({ usage, carryIn: new Map([['n-c', 700_000n]]), addresses, policy: p });
    expect(lines.map((l) => [l.node, l.earned, l.carryIn, l.amount, l.carryOut, l.reasons, l.router])).toEqual([
      ['n-a', 5_200_000n, 0n, 5_200_000n, 0n, ['session-hours', 'session-gb'], 'PR0'],
      ['n-b', 500_000n, 0n, 0n, 500_000n, ['session-hours', 'carry-over'], 'PR0'],
      ['n-c', 0n, 700_000n, 0n, 700_000n, ['carry-over'], 'PR0'],
    ]);
    const next = buildStatement({ usage: aggregateMonth([session('n-b', '2026-12-03T00:00:00Z', 1)], '2026-12'), carryIn: new Map([['n-b', 500_000n]]), addresses, policy: p });
    expect(next.map((l) => [l.node, l.amount, l.carryOut, l.reasons])).toEqual([['n-b', 1_000_000n, 0n, ['session-hours', 'carry-over']]]);
  });

  it('routes a line at or above the KYC threshold through PRKYC', () => {
    const p = policy({ routing: { kycAbove: '4', kyc: ['n-a'] } });
    const lines = buildStatement({ usage: aggregateMonth([session('n-a', '2026-11-03T00:00:00Z', 8), session('n-b', '2026-11-03T00:00:00Z', 6)], '2026-11'), carryIn: new Map(), addresses, policy: p });
    expect(lines.map((l) => [l.node, l.router])).toEqual([['n-a', 'PRKYC'], ['n-b', 'PR0']]);
  });

  it('refuses a node that earned but has no payout address, naming file and field', () => {
    expect(() => buildStatement({ usage: aggregateMonth([session('n-z', '2026-11-03T00:00:00Z', 8)], '2026-11'), carryIn: new Map(), addresses, policy: policy() })).toThrow(
      'clusters/payout-addresses.yaml: nodes.n-z: node n-z earned this month but has no payout address',
    );
  });
});

describe('reason codes', () => {
  it('packs codes into a bytes32, ascending, and back', () => {
    const codes = policy().reasons;
    const packed = encodeReasons(['carry-over', 'session-hours'], codes);
    expect(packed).toBe(`0x0103${'0'.repeat(60)}`);
    expect(decodeReasons(packed, codes)).toEqual(['session-hours', 'carry-over']);
    expect(() => encodeReasons(['clawback'], { 'session-hours': 1 })).toThrow(/no code/);
  });
});

describe('planBatches', () => {
  const many = (n: number, hours: number) => Array.from({ length: n }, (_, i) => session(`n-${String(i).padStart(3, '0')}`, '2026-11-03T00:00:00Z', hours));
  const addressesOf = (n: number) => new Map(Array.from({ length: n }, (_, i) => [`n-${String(i).padStart(3, '0')}`, addr(i + 1)]));

  it('splits by batch size and per-batch cap, per router, with ids from (chain, month, router, lines)', () => {
    const p = policy({ batchSize: 4, caps: { perNodePerMonth: '500', perBatch: '6', perMonth: '20000' } });
    const lines = buildStatement({ usage: aggregateMonth(many(10, 4), '2026-11'), carryIn: new Map(), addresses: addressesOf(10), policy: p });
    const batches = planBatches('evm:31337', '2026-11', lines, p);
    // 2 USDT each, at most 6 per batch: three lines a batch.
    expect(batches.map((b) => [b.router, b.lines.length, b.total])).toEqual([
      ['PR0', 3, 6_000_000n],
      ['PR0', 3, 6_000_000n],
      ['PR0', 3, 6_000_000n],
      ['PR0', 1, 2_000_000n],
    ]);
    expect(new Set(batches.map((b) => b.batchId)).size).toBe(4);
    expect(batches[0]!.batchId).toBe(batchIdOf('evm:31337', '2026-11', 'PR0', batches[0]!.lines));
    expect(batchIdOf('evm:1', '2026-11', 'PR0', batches[0]!.lines)).not.toBe(batches[0]!.batchId);
    expect(batchIdOf('evm:31337', '2026-12', 'PR0', batches[0]!.lines)).not.toBe(batches[0]!.batchId);
    expect(batchIdOf('evm:31337', '2026-11', 'PRKYC', batches[0]!.lines)).not.toBe(batches[0]!.batchId);
    expect(planBatches('evm:31337', '2026-11', lines, p).map((b) => b.batchId)).toEqual(batches.map((b) => b.batchId));
  });
});

describe('circuit breakers', () => {
  const addresses = new Map([['n-a', addr(1)], ['n-b', addr(2)]]);
  const trip = (p: PayoutPolicy, hours: number[], history = { lastAddresses: new Map<string, string>(), lastTotals: [] as bigint[] }) => {
    const lines = buildStatement({ usage: aggregateMonth(hours.map((h, i) => session(i ? 'n-b' : 'n-a', '2026-11-03T00:00:00Z', h)), '2026-11'), carryIn: new Map(), addresses, policy: p });
    return tripBreakers(lines, planBatches('evm:1', '2026-11', lines, p), p, history);
  };

  it('passes a normal month', () => {
    expect(trip(policy(), [10, 20], { lastAddresses: new Map([['n-a', addr(1).tron]]), lastTotals: [15_000_000n] })).toEqual([]);
  });

  it('holds a node over its cap, a total over the monthly cap and a line alone over the batch cap', () => {
    const p = policy({ caps: { perNodePerMonth: '6', perBatch: '7', perMonth: '9' } });
    expect(trip(p, [16, 4])).toEqual([
      'total 10 USDT is over the monthly cap of 9 USDT',
      'node n-a: 8 USDT is over the per-node cap of 6 USDT',
      expect.stringMatching(/^batch 0x[0-9a-f]{64}: 8 USDT is over the per-batch cap of 7 USDT$/),
    ]);
  });

  it('holds a changed payout address, a KYC line off the list and a total far above the last months', () => {
    const p = policy({ routing: { kycAbove: '5', kyc: [] } });
    expect(trip(p, [20, 2], { lastAddresses: new Map([['n-b', addr(9).tron]]), lastTotals: [1_000_000n, 3_000_000n] })).toEqual([
      'node n-a: 10 USDT needs the KYC router but the node is not on the policy\'s KYC list',
      'node n-b: payout address changed since last month (to T-test-2)',
      'total 11 USDT is over 3x the mean of the last 2 paid months (2 USDT)',
    ]);
  });

  it('asks two approvers above the threshold, one for a hold, else the policy default', () => {
    const p = policy({ approvals: { approvers: ['alice', 'bob'], required: 0, twoApproversAbove: '100' } });
    expect(approvalsNeeded(100_000_001n, false, p)).toBe(2);
    expect(approvalsNeeded(100_000_000n, true, p)).toBe(1);
    expect(approvalsNeeded(5n, false, p)).toBe(0);
  });
});
