import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Workers load the prebuilt workflow bundle when there is one (built by
 * `npm run build`, or by the test setup), which spares every worker start a
 * webpack run on a 2-core Pi; otherwise they bundle from source.
 */
export function workflowSource(): { workflowBundle: { codePath: string } } | { workflowsPath: string } {
  const prebuilt = process.env.LUCID_WORKFLOW_BUNDLE ?? path.join(__dirname, '..', 'workflow-bundle.js');
  if (fs.existsSync(prebuilt)) return { workflowBundle: { codePath: prebuilt } };
  return { workflowsPath: require.resolve('../workflows') };
}
