import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { parseTokenAmount } from '../common/token-amount';
import { ConfigError } from './config-error';
import { CONFIG_PATHS, parseWith, parseYaml, readRepoFile } from './config-files';
import { DEFAULT_LIMITS, limitOf, type Limits } from './limits';

/** Reason codes a statement line carries; the policy gives each its byte on chain. */
export const REASONS = ['session-hours', 'session-gb', 'carry-over', 'adjustment', 'clawback'] as const;
export type Reason = (typeof REASONS)[number];

const amount = z.union([z.string(), z.number()]).transform((v) => String(v)).pipe(z.string().regex(/^\d{1,30}(\.\d+)?$/, 'must be a decimal amount, e.g. "12.50"'));
const name = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'a lowercase name');

const policySchema = z
  .strictObject({
    token: z.strictObject({ symbol: z.string().min(1).max(16), decimals: z.number().int().min(0, 'must be 0 or more').max(30, 'at most 30') }),
    /** Paid per hour a node recorded and per GB it stored, for anchored sessions only. */
    rates: z
      .strictObject({ perRecordedHour: amount.optional(), perGB: amount.optional() })
      .refine((r) => r.perRecordedHour !== undefined || r.perGB !== undefined, 'set perRecordedHour, perGB or both'),
    reasons: z
      .partialRecord(z.enum(REASONS, { message: `a reason is one of ${REASONS.join(', ')}` }), z.number().int().min(1, 'a code is 1-255').max(255, 'a code is 1-255'))
      .refine((r) => new Set(Object.values(r)).size === Object.values(r).length, 'gives two reasons the same code'),
    /** Smaller amounts are carried over to the next month. */
    minimumPayout: amount,
    caps: z.strictObject({ perNodePerMonth: amount, perBatch: amount, perMonth: amount }),
    /** Recipients per payBatch transaction (bench:payouts measures the gas per recipient it gives). */
    batchSize: z.number().int().min(1, 'at least 1').max(1000, 'at most 1000').default(200),
    /** Lines at or above `kycAbove` go through PRKYC; their node must be in `kyc` (node ids; PRKYC checks its own list on chain too). */
    routing: z.strictObject({ kycAbove: amount, kyc: z.array(name).default([]) }),
    approvals: z.strictObject({
      approvers: z.array(name).min(1, 'list at least one approver').refine((a) => new Set(a).size === a.length, 'names an approver twice'),
      /** Approvals a payout needs when nothing holds it: 0 lets the Schedule pay a normal month by itself. */
      required: z.union([z.literal(0), z.literal(1)]).default(1),
      /** A total above this needs two distinct approvers. */
      twoApproversAbove: amount,
    }),
    breakers: z
      .strictObject({
        /** A total more than `surgeFactor` times the mean of the last `surgeMonths` paid months is held. */
        surgeFactor: z.number().min(1, 'at least 1').default(3),
        surgeMonths: z.number().int().min(1, 'at least 1').max(24, 'at most 24').default(3),
      })
      .default({ surgeFactor: 3, surgeMonths: 3 }),
    confirmations: z.number().int().min(1, 'at least 1').max(100, 'at most 100').default(1),
  })
  .superRefine((p, ctx) => {
    const need: Reason[] = ['carry-over'];
    if (p.rates.perRecordedHour !== undefined) need.push('session-hours');
    if (p.rates.perGB !== undefined) need.push('session-gb');
    for (const r of need) if (p.reasons[r] === undefined) ctx.addIssue({ code: 'custom', path: ['reasons', r], message: 'needs a code (1-255)' });
    if (p.approvals.approvers.length < 2) ctx.addIssue({ code: 'custom', path: ['approvals', 'approvers'], message: 'list two approvers at least: a large total needs two distinct ones' });
  });

export interface PayoutPolicy {
  token: { symbol: string; decimals: number };
  /** Base units per hour and per GB (10^9 bytes). */
  rates: { perRecordedHour: bigint; perGB: bigint };
  reasons: Partial<Record<Reason, number>>;
  minimumPayout: bigint;
  caps: { perNodePerMonth: bigint; perBatch: bigint; perMonth: bigint };
  batchSize: number;
  routing: { kycAbove: bigint; kyc: string[] };
  approvals: { approvers: string[]; required: 0 | 1; twoApproversAbove: bigint };
  breakers: { surgeFactor: number; surgeMonths: number };
  confirmations: number;
}

/** policies/payouts.yaml, amounts turned into base units; an amount finer than the token's decimals is refused. */
export function parsePayoutPolicy(text: string): PayoutPolicy {
  const file = CONFIG_PATHS.payoutPolicy;
  const p = parseWith(policySchema, file, parseYaml(file, text));
  const units = (field: string, v: string | undefined): bigint => {
    if (v === undefined) return 0n;
    try {
      return parseTokenAmount(v, p.token.decimals);
    } catch (err) {
      throw new ConfigError(file, field, (err as Error).message);
    }
  };
  return {
    token: p.token,
    rates: { perRecordedHour: units('rates.perRecordedHour', p.rates.perRecordedHour), perGB: units('rates.perGB', p.rates.perGB) },
    reasons: p.reasons,
    minimumPayout: units('minimumPayout', p.minimumPayout),
    caps: {
      perNodePerMonth: units('caps.perNodePerMonth', p.caps.perNodePerMonth),
      perBatch: units('caps.perBatch', p.caps.perBatch),
      perMonth: units('caps.perMonth', p.caps.perMonth),
    },
    batchSize: p.batchSize,
    routing: { kycAbove: units('routing.kycAbove', p.routing.kycAbove), kyc: p.routing.kyc },
    approvals: { ...p.approvals, twoApproversAbove: units('approvals.twoApproversAbove', p.approvals.twoApproversAbove) },
    breakers: p.breakers,
    confirmations: p.confirmations,
  };
}

/** The work tree's payout policy. No policy file: payouts are refused, never paid by a default rule. */
export function loadPayoutPolicy(treeDir: string, limits: Limits = DEFAULT_LIMITS): PayoutPolicy {
  const file = CONFIG_PATHS.payoutPolicy;
  if (!fs.existsSync(path.join(treeDir, file))) throw new ConfigError(file, '(file)', 'no payout policy in the config repo: payouts are refused until there is one');
  return parsePayoutPolicy(readRepoFile(treeDir, file, limitOf(limits, 'policies', 'maxBytes')));
}
