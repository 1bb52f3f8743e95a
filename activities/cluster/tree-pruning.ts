import * as fs from 'node:fs';
import * as path from 'node:path';

/** Per-commit trees pile up on a small SD card: keep the newest few and the ones in use. */
export function pruneTrees(treesDir: string, keep: string[], newest = 5): void {
  if (!fs.existsSync(treesDir)) return;
  const trees = fs
    .readdirSync(treesDir)
    .filter((n) => !n.startsWith('.'))
    .map((n) => ({ n, mtime: fs.statSync(path.join(treesDir, n)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const { n } of trees.slice(newest)) {
    if (!keep.includes(n)) fs.rmSync(path.join(treesDir, n), { recursive: true, force: true });
  }
}
