import { defineSearchAttributeKey } from '@temporalio/common';

/** Custom search attributes, so `temporal workflow list --query "LucidCommit='<sha>'"` finds every step of a change. */
export const SEARCH_ATTRIBUTES = {
  commit: defineSearchAttributeKey('LucidCommit', 'KEYWORD'),
  cluster: defineSearchAttributeKey('LucidCluster', 'KEYWORD_LIST'),
  wave: defineSearchAttributeKey('LucidWave', 'KEYWORD_LIST'),
  outcome: defineSearchAttributeKey('LucidOutcome', 'KEYWORD'),
  breakglass: defineSearchAttributeKey('LucidBreakglass', 'BOOL'),
  /** Anchoring: the batch, the sessions in it and its transaction, so the UI finds a session's anchor. */
  batch: defineSearchAttributeKey('LucidBatch', 'KEYWORD'),
  session: defineSearchAttributeKey('LucidSession', 'KEYWORD_LIST'),
  tx: defineSearchAttributeKey('LucidTx', 'KEYWORD'),
  /** Payouts: the month a payout or one of its batches pays (batches also set LucidBatch and LucidTx). */
  month: defineSearchAttributeKey('LucidMonth', 'KEYWORD'),
} as const;

/** Temporal refuses a search attribute value over 2 KiB (the workflow task fails and retries forever). */
const MAX_VALUE_BYTES = 2048;

/** Whether a keyword list (ids are ASCII) stays within the limit, as the server measures it: its JSON encoding. */
export function keywordListFits(values: readonly string[]): boolean {
  return JSON.stringify(values).length < MAX_VALUE_BYTES;
}
