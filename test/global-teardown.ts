import * as fs from 'node:fs';
import * as path from 'node:path';
import { downStack } from '../services/stack/embedded-stack';
import { TEST_STACK_FILE, testStack } from './support/test-stack';

export default async function globalTeardown(): Promise<void> {
  if (!fs.existsSync(TEST_STACK_FILE)) return;
  const { dataDir, chainKeyFile } = testStack();
  await downStack(dataDir);
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(path.dirname(chainKeyFile), { recursive: true, force: true });
  fs.rmSync(TEST_STACK_FILE, { force: true });
}
