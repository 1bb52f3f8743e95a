import * as fs from 'node:fs';
import { ABI_MODULE_FILE, ARTIFACTS_FILE, compileContracts } from '../../scripts/compile-contracts';

describe('contracts/artifacts.json', () => {
  it('is byte for byte what the pinned solc-js makes of contracts/*.sol (and so is chain/lucid-anchor-abi.ts)', () => {
    const fresh = compileContracts();
    expect(fs.readFileSync(ARTIFACTS_FILE, 'utf8')).toBe(fresh.artifacts);
    expect(fs.readFileSync(ABI_MODULE_FILE, 'utf8')).toBe(fresh.abiModule);
    const artifact = JSON.parse(fresh.artifacts) as { compiler: { version: string; settings: { evmVersion: string } } };
    expect(artifact.compiler.version).toMatch(/^0\.8\.37\+/);
    expect(artifact.compiler.settings.evmVersion).toBe('paris');
  });
});
