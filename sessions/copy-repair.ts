import type { ChunkRepair } from '../workflows/replication-types';
import type { ChunkBucket } from './chunk-bucket';
import type { ChunkStore } from './chunk-store';
import { leafHash } from './merkle-tree';

/**
 * Checks one chunk's two copies, the node's and the bucket's, against its leaf and repairs the bad one from the
 * good: the bucket's is put again (and read back) from the node's, the node's is written over from the bucket's.
 * Undefined when both are good. Running it again after a repair finds both good: nothing is written twice.
 */
export async function repairChunkCopies(index: number, leaf: string, store: ChunkStore, bucket: ChunkBucket): Promise<ChunkRepair | undefined> {
  const matches = (b: Buffer | undefined): b is Buffer => b !== undefined && leafHash(b).toString('hex') === leaf;
  const local = store.get(leaf);
  const remote = await bucket.get(leaf);
  const where = bucket.where(leaf);
  if (matches(local) && matches(remote)) return undefined;
  if (matches(local)) {
    await bucket.putVerified(leaf, local);
    const was = remote ? `held ${remote.length} bytes that do not match the leaf` : 'was gone';
    return { index, leaf, kind: 'replica-rewritten', reason: `chunk ${index}: ${where} ${was}; rewritten from the node's copy` };
  }
  const nodeCopy = local ? `no longer matched its leaf` : 'was gone';
  if (matches(remote)) {
    await store.restore(leaf, remote);
    return { index, leaf, kind: 'local-restored', reason: `chunk ${index}: the node's copy ${nodeCopy}; restored from ${where}` };
  }
  const bucketCopy = remote ? 'does not match it either' : 'is gone too';
  return { index, leaf, kind: 'lost', reason: `chunk ${index}: the node's copy ${nodeCopy} and ${where} ${bucketCopy}; no good copy left` };
}
