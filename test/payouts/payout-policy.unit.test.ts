import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadPayoutPolicy, parsePayoutPolicy } from '../../config/payout-policy';
import { payoutPolicyYaml, samplePayoutPolicy } from '../../demo/sample-payouts';
import { configError } from '../config/fixture-tree';

describe('policies/payouts.yaml', () => {
  it('turns amounts into base units of the token', () => {
    const p = parsePayoutPolicy(payoutPolicyYaml());
    expect(p.rates).toEqual({ perRecordedHour: 500_000n, perGB: 100_000n });
    expect(p.minimumPayout).toBe(1_000_000n);
    expect(p.caps).toEqual({ perNodePerMonth: 500_000_000n, perBatch: 5_000_000_000n, perMonth: 20_000_000_000n });
    expect(p.approvals).toEqual({ approvers: ['alice', 'bob', 'carol'], required: 1, twoApproversAbove: 2_000_000_000n });
    expect(p.reasons['carry-over']).toBe(3);
  });

  it.each([
    ['an amount finer than the token', { minimumPayout: '0.0000001' }, 'minimumPayout', /7 decimals; the token has 6/],
    ['a float-looking rate', { rates: { perRecordedHour: '1e3' } }, 'rates.perRecordedHour', /decimal amount/],
    ['no rate at all', { rates: {} }, 'rates', /perRecordedHour, perGB or both/],
    ['a reason nobody knows', { reasons: { 'session-hours': 1, 'carry-over': 3, bonus: 9 } }, 'reasons', /Unrecognized key: "bonus"/],
    ['two reasons with one code', { reasons: { 'session-hours': 1, 'session-gb': 1, 'carry-over': 3 } }, 'reasons', /same code/],
    ['a rate without its reason code', { reasons: { 'session-hours': 1, 'carry-over': 3 } }, 'reasons.session-gb', /needs a code/],
    ['one approver only', { approvals: { approvers: ['alice'], twoApproversAbove: '1' } }, 'approvals.approvers', /two approvers/],
    ['an unknown field', { bonus: true }, '(root)', /bonus/],
    ['a negative cap', { caps: { perNodePerMonth: '-1', perBatch: '1', perMonth: '1' } }, 'caps.perNodePerMonth', /decimal amount/],
  ])('refuses %s, naming file and field', (_what, override, field, reason) => {
    const err = configError(() => parsePayoutPolicy(payoutPolicyYaml(samplePayoutPolicy(override))));
    expect(err.file).toBe('policies/payouts.yaml');
    expect(err.field).toBe(field);
    expect(err.reason).toMatch(reason);
  });

  it('refuses payouts when the config repo has no policy', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'payout-policy-'));
    try {
      const err = configError(() => loadPayoutPolicy(dir));
      expect(err.message).toMatch(/^policies\/payouts.yaml: \(file\): no payout policy/);
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });
});
