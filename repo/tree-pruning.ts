import * as fs from 'node:fs';
import * as path from 'node:path';

const STALE_TEMP_MS = 10 * 60 * 1000;

/**
 * Per-commit trees pile up on a small SD card: keep the newest few and the
 * ones in use, and drop temp trees a crash left behind mid-checkout.
 */
export function pruneTrees(treesDir: string, keep: string[], newest = 5): void {
  if (!fs.existsSync(treesDir)) return;
  const entries = fs.readdirSync(treesDir).map((n) => ({ n, mtime: fs.statSync(path.join(treesDir, n)).mtimeMs }));
  const now = Date.now();
  for (const { n, mtime } of entries) {
    if (n.startsWith('.') && now - mtime > STALE_TEMP_MS) fs.rmSync(path.join(treesDir, n), { recursive: true, force: true });
  }
  const trees = entries.filter((e) => !e.n.startsWith('.')).sort((a, b) => b.mtime - a.mtime);
  for (const { n } of trees.slice(newest)) {
    if (!keep.includes(n)) fs.rmSync(path.join(treesDir, n), { recursive: true, force: true });
  }
}
