import * as path from 'node:path';

/** Where a node keeps its chunk store and session journals: the recorder writes there and the console reads there. */
export function nodeStorePaths(dataDir: string, nodeId: string, chunkStore?: string): { store: string; journalDir: string } {
  return { store: chunkStore ?? path.join(dataDir, 'chunks'), journalDir: path.join(dataDir, 'nodes', nodeId, 'journal') };
}
