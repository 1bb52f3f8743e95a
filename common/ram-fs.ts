import * as fs from 'node:fs';

/** statfs(2) magic numbers of the RAM-backed file systems a secret may be written to. */
const RAM_FS = new Set([0x01021994 /* tmpfs */, 0x858458f6 /* ramfs */]);

/** The file system type of `p` when it is not RAM-backed (so a secret there would reach a disk), else undefined. */
export function diskFsType(p: string): string | undefined {
  const type = fs.statfsSync(p).type;
  return RAM_FS.has(type) ? undefined : `0x${type.toString(16)}`;
}
