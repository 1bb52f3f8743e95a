import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureDemoImages } from '../demo/demo-images';
import { writeWorkflowBundle } from '../scripts/bundle-workflows';
import { runtimeEnv } from '../config/runtime-env';
import { downStack, upStack } from '../services/stack/embedded-stack';
import { TEST_STACK_FILE, type TestStack } from './support/test-stack';

/**
 * One real Temporal (the dev server; with LUCID_ENGINE=postgres Temporal's own server, FerretDB too on PostgreSQL),
 * FerretDB, registry and chain (anvil with LucidAnchor, the test token and the payout routers) for the whole run,
 * on ports apart from `lucid dev up`.
 */
export default async function globalSetup(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-test-'));
  const engine = runtimeEnv().LUCID_ENGINE ?? 'dev';
  // Two checkouts (a helper's worktree beside main, say) can run their suites at once on different ports,
  // and one checkout's suites on both engines at once (`npm run test:postgres` beside `npm test`).
  const offset = Number(process.env.LUCID_TEST_PORT_OFFSET ?? 0) + (engine === 'postgres' ? 50 : 0);
  const chainPort = 18545 + offset;
  const started = [
    upStack({
      dataDir,
      namespace: 'lucid',
      engine,
      postgresPort: 15432 + offset,
      temporalPort: 17233 + offset,
      mongoPort: 27117 + offset,
      registryPort: 17500 + offset,
      chainPort,
      workers: [],
    }),
    writeWorkflowBundle(path.join(dataDir, 'workflow-bundle.js')),
    ensureDemoImages(),
  ] as const;
  const settled = await Promise.allSettled(started);
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) {
    // A half-started stack (Temporal up, Docker down, say) would hold its ports and fail the next run for a stale reason.
    await downStack(dataDir);
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw failed.reason;
  }
  const state = await started[0];
  const chain = state.chain!;
  const stack: TestStack = {
    dataDir,
    namespace: 'lucid',
    engine,
    postgresPort: 15432 + offset,
    temporalPort: 17233 + offset,
    temporalAddress: `127.0.0.1:${17233 + offset}`,
    mongoPort: 27117 + offset,
    mongoUrl: `mongodb://127.0.0.1:${27117 + offset}/`,
    registryPort: 17500 + offset,
    registry: `127.0.0.1:${17500 + offset}`,
    chainPort,
    chainRpc: chain.rpc,
    chainId: chain.chainId,
    chainContract: chain.contract,
    chainKeyFile: chain.keyFile,
    chainDeployBlock: chain.deployBlock,
    payouts: chain.payouts,
    workflowBundle: path.join(dataDir, 'workflow-bundle.js'),
  };
  fs.writeFileSync(TEST_STACK_FILE, JSON.stringify(stack));
  process.env.LUCID_WORKFLOW_BUNDLE = stack.workflowBundle;
}
