import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { AnchorRequest, BatcherStatus } from './anchor-types';

// What callers send the anchor batcher; the activity that queues sessions uses these definitions too.
export const queueForAnchorSignal = defineSignal<[AnchorRequest]>('queueForAnchor');
export const batcherStatusQuery = defineQuery<BatcherStatus>('status');
