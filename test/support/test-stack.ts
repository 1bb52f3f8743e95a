import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The one Temporal dev server and FerretDB of a test run, started by global-setup. */
export interface TestStack {
  dataDir: string;
  namespace: string;
  temporalAddress: string;
  temporalPort: number;
  mongoUrl: string;
  mongoPort: number;
  workflowBundle: string;
}

export const TEST_STACK_FILE = path.join(os.tmpdir(), `lucid-test-stack-${process.getuid?.() ?? 0}.json`);

export function testStack(): TestStack {
  return JSON.parse(fs.readFileSync(TEST_STACK_FILE, 'utf8')) as TestStack;
}
