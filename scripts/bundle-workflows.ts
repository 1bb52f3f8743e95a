import * as fs from 'node:fs';
import * as path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

/** Prebuilds the workflow bundle into dist/ so workers start without a webpack run. */
export async function writeWorkflowBundle(outFile: string): Promise<void> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } as never,
  });
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(`${outFile}.tmp`, code);
  fs.renameSync(`${outFile}.tmp`, outFile);
}

if (require.main === module) {
  writeWorkflowBundle(path.join(__dirname, '..', 'workflow-bundle.js')).catch((err: Error) => {
    process.stderr.write(`bundle-workflows: ${err.stack ?? err.message}\n`);
    process.exit(1);
  });
}
