import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { PayoutStatus } from './payout-types';

// What callers send a month's payout (`lucid payout status|approve` use these definitions).
export const payoutStatusQuery = defineQuery<PayoutStatus>('payoutStatus');
/** Names who approves; the payout goes on once it has the approvals it needs (two distinct approvers above the threshold). */
export const approvePayoutUpdate = defineUpdate<PayoutStatus, [{ by: string }]>('approvePayout');
