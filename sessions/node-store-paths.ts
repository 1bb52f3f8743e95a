import * as path from 'node:path';

/**
 * Where a node keeps its chunk store, its session journals and the copies it holds for peers: the recorder writes
 * the first two and the console reads them; peers' copies are apart, so losing the node's own store spares them.
 */
export function nodeStorePaths(dataDir: string, nodeId: string, chunkStore?: string): { store: string; journalDir: string; held: string } {
  return {
    store: chunkStore ?? path.join(dataDir, 'chunks'),
    journalDir: path.join(dataDir, 'nodes', nodeId, 'journal'),
    held: path.join(dataDir, 'nodes', nodeId, 'held-chunks'),
  };
}
