import type { ChunkRepair } from '../workflows/replication-types';
import type { ChunkBucket } from './chunk-bucket';
import type { ChunkStore } from './chunk-store';
import { leafHash } from './merkle-tree';
import type { PeerChunks } from './peer-chunks';

/**
 * Checks one chunk's copies on the node and in the bucket against its leaf and repairs the bad ones from a good
 * one: the node's is written over from the bucket's, else from a peer's (read only when the node's is bad); then
 * the bucket's is put again (and read back) from the node's. Peers' own copies are checked on the peers. Empty
 * when all are good; running it again after a repair finds them good: nothing is written twice.
 */
export async function repairChunkCopies(
  index: number,
  leaf: string,
  store: ChunkStore,
  bucket: ChunkBucket | undefined,
  peers: PeerChunks[],
): Promise<ChunkRepair[]> {
  const matches = (b: Buffer | undefined): b is Buffer => b !== undefined && leafHash(b).toString('hex') === leaf;
  const local = store.get(leaf);
  const remote = await bucket?.get(leaf);
  const remoteSize = remote?.length;
  const repairs: ChunkRepair[] = [];
  let good = matches(local) ? local : undefined;
  if (!good) {
    const nodeCopy = local ? 'no longer matched its leaf' : 'was gone';
    const tried: string[] = [];
    let from: string | undefined;
    if (bucket && matches(remote)) [good, from] = [remote, bucket.where(leaf)];
    else if (bucket) tried.push(`${bucket.where(leaf)} ${remote ? 'does not match it either' : 'is gone too'}`);
    for (const peer of good ? [] : peers) {
      const held = await peer.get(leaf);
      if (matches(held)) [good, from] = [held, peer.where(leaf)];
      else tried.push(`${peer.where(leaf)} ${held ? 'does not match it either' : 'is gone too'}`);
      if (good) break;
    }
    if (!good) return [{ index, leaf, kind: 'lost', reason: `chunk ${index}: the node's copy ${nodeCopy} and ${tried.join(' and ')}; no good copy left` }];
    await store.restore(leaf, good);
    repairs.push({ index, leaf, kind: 'local-restored', reason: `chunk ${index}: the node's copy ${nodeCopy}; restored from ${from}` });
  }
  if (bucket && !matches(remote)) {
    await bucket.putVerified(leaf, good);
    const was = remoteSize !== undefined ? `held ${remoteSize} bytes that do not match the leaf` : 'was gone';
    repairs.push({ index, leaf, kind: 'replica-rewritten', reason: `chunk ${index}: ${bucket.where(leaf)} ${was}; rewritten from the node's copy` });
  }
  return repairs;
}
