import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureDemoImages } from '../compose/demo-images';
import { writeWorkflowBundle } from '../scripts/bundle-workflows';
import { upStack } from '../services/stack/embedded-stack';
import { TEST_STACK_FILE, type TestStack } from './support/test-stack';

/** One real Temporal dev server, FerretDB and registry for the whole run, on ports apart from `lucid dev up`. */
export default async function globalSetup(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-test-'));
  const stack: TestStack = {
    dataDir,
    namespace: 'lucid',
    temporalPort: 17233,
    temporalAddress: '127.0.0.1:17233',
    mongoPort: 27117,
    mongoUrl: 'mongodb://127.0.0.1:27117/',
    registryPort: 17500,
    registry: '127.0.0.1:17500',
    workflowBundle: path.join(dataDir, 'workflow-bundle.js'),
  };
  await Promise.all([
    upStack({ dataDir, namespace: stack.namespace, temporalPort: stack.temporalPort, mongoPort: stack.mongoPort, registryPort: stack.registryPort, workers: [] }),
    writeWorkflowBundle(stack.workflowBundle),
    ensureDemoImages(),
  ]);
  fs.writeFileSync(TEST_STACK_FILE, JSON.stringify(stack));
  process.env.LUCID_WORKFLOW_BUNDLE = stack.workflowBundle;
}
