import { continueAsNew, proxyActivities, sleep } from '@temporalio/workflow';
import type { AnchorControlActivities } from '../activities/control/anchor-activities';
import type { IndexerInput } from './anchor-types';

const { indexAnchorEvents } = proxyActivities<AnchorControlActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

/** Pages read before the indexer starts afresh, so its history stays small however long the chain grows. */
const PAGES_PER_RUN = 200;

/**
 * anchor-indexer: tails `Anchored` events into MongoDB page by page. Its
 * cursor lives in MongoDB (`lucid chain reindex --from N` moves it), so this
 * workflow only keeps the pages coming and pauses when it has caught up.
 */
export async function anchorIndexer(input: IndexerInput): Promise<void> {
  for (let i = 0; i < PAGES_PER_RUN; i++) {
    const page = await indexAnchorEvents({ pageSize: input.pageSize });
    if (page.toBlock >= page.head) await sleep(`${input.idleSeconds} seconds`);
  }
  await continueAsNew<typeof anchorIndexer>(input);
}
