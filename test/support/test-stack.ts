import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { PROJECT_ROOT } from '../../config/runtime-env';
import type { ChainState, StackEngine } from '../../services/stack/stack-state';

/** The one Temporal dev server, FerretDB and registry of a test run, started by global-setup. */
export interface TestStack {
  dataDir: string;
  namespace: string;
  /** LUCID_ENGINE of the run: the dev server, or Temporal's own server on PostgreSQL. */
  engine: StackEngine;
  /** The postgres engine's PostgreSQL port. */
  postgresPort: number;
  temporalAddress: string;
  temporalPort: number;
  mongoUrl: string;
  mongoPort: number;
  /** host:port of the run's registry. */
  registry: string;
  registryPort: number;
  /** The run's anvil: its RPC, LucidAnchor's address and the anchoring key file, as `dev up` records them. */
  chainPort: number;
  chainRpc: string;
  chainId: number;
  chainContract: `0x${string}`;
  chainKeyFile: string;
  chainDeployBlock: number;
  /** The run's test token and payout routers, and the wallet's keystore and password files (the wallet is the routers' payer). */
  payouts: ChainState['payouts'];
  workflowBundle: string;
}

/**
 * One per checkout and engine, so a suite in another clone (CI's, say), or this checkout's run on the other engine
 * (`npm test` beside `npm run test:postgres`), never reads or tears down this one's stack.
 */
export const TEST_STACK_FILE = path.join(
  os.tmpdir(),
  `lucid-test-stack-${createHash('sha256').update(PROJECT_ROOT).digest('hex').slice(0, 12)}${process.env.LUCID_ENGINE === 'postgres' ? '-postgres' : ''}.json`,
);

export function testStack(): TestStack {
  if (!fs.existsSync(TEST_STACK_FILE)) {
    throw new Error('no test stack: a suite that needs it belongs to the integration tier (*.test.ts, not *.unit.test.ts)');
  }
  return JSON.parse(fs.readFileSync(TEST_STACK_FILE, 'utf8')) as TestStack;
}
