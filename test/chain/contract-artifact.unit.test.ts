import * as fs from 'node:fs';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../../config/runtime-env';
import { ARTIFACTS_FILE, compileContracts } from '../../scripts/compile-contracts';

describe('contracts/artifacts.json', () => {
  it('is byte for byte what the pinned solc-js makes of contracts/*.sol (and so are the chain/lucid-*-abi.ts modules)', () => {
    const fresh = compileContracts();
    expect(fs.readFileSync(ARTIFACTS_FILE, 'utf8')).toBe(fresh.artifacts);
    expect(Object.keys(fresh.abiModules).map((f) => path.relative(PROJECT_ROOT, f)).sort()).toEqual([
      'chain/lucid-anchor-abi.ts',
      'chain/lucid-payout-router-abi.ts',
      'chain/lucid-test-token-abi.ts',
    ]);
    for (const [file, text] of Object.entries(fresh.abiModules)) expect(fs.readFileSync(file, 'utf8')).toBe(text);
    const artifact = JSON.parse(fresh.artifacts) as {
      compiler: { version: string; settings: { evmVersion: string } };
      contracts: Record<string, unknown>;
    };
    expect(artifact.compiler.version).toMatch(/^0\.8\.37\+/);
    expect(artifact.compiler.settings.evmVersion).toBe('paris');
    expect(Object.keys(artifact.contracts).sort()).toEqual(['LucidAnchor', 'LucidPayoutRouter', 'LucidTestToken', 'LyingTestToken', 'NoReturnTestToken']);
  });
});
