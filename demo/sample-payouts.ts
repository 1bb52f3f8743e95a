import { stringify } from 'yaml';

/** policies/payouts.yaml of the demo fleet: USDT-like 6 decimals, paid per recorded hour and per GB. */
export function samplePayoutPolicy(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    token: { symbol: 'USDT', decimals: 6 },
    rates: { perRecordedHour: '0.50', perGB: '0.10' },
    reasons: { 'session-hours': 1, 'session-gb': 2, 'carry-over': 3, adjustment: 4, clawback: 5 },
    minimumPayout: '1.00',
    caps: { perNodePerMonth: '500', perBatch: '5000', perMonth: '20000' },
    batchSize: 200,
    routing: { kycAbove: '1000', kyc: [] },
    approvals: { approvers: ['alice', 'bob', 'carol'], required: 1, twoApproversAbove: '2000' },
    breakers: { surgeFactor: 3, surgeMonths: 3 },
    confirmations: 1,
    ...overrides,
  };
}

export function payoutPolicyYaml(policy: Record<string, unknown> = samplePayoutPolicy()): string {
  return stringify(policy);
}

/** `lucid dev up`'s node (DEV_NODE): a valid TRON address nobody holds, so the demo pays into the void, never to a person. */
export const DEMO_PAYOUT_ADDRESSES: Record<string, string> = { 'node-1': 'TJBKPeDGat88tTiCXqkW3ua2ayiv6mVURT' };

export function payoutAddressesYaml(nodes: Record<string, string>): string {
  return stringify({ nodes });
}
