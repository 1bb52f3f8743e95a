import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { toolPaths } from '../../services/stack/tool-paths';

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

/** `lucid operator add` for a fleet, the password piped in as an operator would. */
export function operatorAdd(env: NodeJS.ProcessEnv, name: string, password: string, role: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [toolPaths().lucidCli, 'operator', 'add', name, '--role', role], { env, stdio: ['pipe', 'ignore', 'inherit'] });
    child.stdin.end(password);
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`lucid operator add ${name} exited ${code}`))));
  });
}

/** A fresh browser context signed in through the sign-in page, on the fleet page. */
export async function signedIn(
  browser: Browser,
  base: string,
  name: string,
  password: string,
  viewport = { width: 1280, height: 900 },
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  await page.goto(`${base}/signin`);
  await page.getByLabel('Operator name').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/`);
  return { context, page };
}

/** A suite's operators by name, each added with `lucid operator add` and signed in with its own password. */
export function consoleOperators<N extends string>(
  passwords: Record<N, string>,
  at: () => { env: NodeJS.ProcessEnv; browser: Browser; base: string },
) {
  return {
    operatorAdd: (name: N, role: string) => operatorAdd(at().env, name, passwords[name], role),
    signedIn: (name: N, viewport?: { width: number; height: number }) => signedIn(at().browser, at().base, name, passwords[name], viewport),
  };
}
