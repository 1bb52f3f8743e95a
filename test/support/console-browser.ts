import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Debian's chromium (bootstrap installs it with apt), driven by playwright-core: no browser download.
 * LUCID_CHROMIUM points at another build.
 */
export const CHROMIUM = process.env.LUCID_CHROMIUM ?? '/usr/bin/chromium';

/** Where a test run leaves its screenshots for a reviewer (git-ignored). */
export const ARTIFACTS_DIR = path.join(__dirname, '..', '..', 'artifacts', 'console');

export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: run \`bash scripts/bootstrap.sh --all\` (installs Debian's chromium)`);
  // --no-sandbox: the tests run as root in a container, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
