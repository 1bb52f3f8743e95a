import type { Hex } from 'viem';
import { z } from 'zod';
import artifacts from '../contracts/artifacts.json';

const code = z.object({ bytecode: z.string().regex(/^0x[0-9a-f]+$/), deployedBytecode: z.string().regex(/^0x[0-9a-f]+$/) });
const artifactSchema = z.object({
  compiler: z.object({ version: z.string() }),
  contracts: z.object({ LucidAnchor: code, LucidPayoutRouter: code, LucidTestToken: code, NoReturnTestToken: code, LyingTestToken: code }),
});

const parsed = artifactSchema.safeParse(artifacts);
if (!parsed.success) throw new Error(`contracts/artifacts.json: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
const contracts = parsed.data.contracts;

/** Creation code, from the committed artifact (scripts/compile-contracts.ts). */
export const lucidAnchorBytecode = contracts.LucidAnchor.bytecode as Hex;
export const lucidPayoutRouterBytecode = contracts.LucidPayoutRouter.bytecode as Hex;
export const lucidTestTokenBytecode = contracts.LucidTestToken.bytecode as Hex;
/** TEST ONLY (contracts/QuirkyTestTokens.sol): USDT's `transfer` that returns nothing, and one that returns true and moves nothing. */
export const quirkyTestTokenBytecode = {
  noReturn: contracts.NoReturnTestToken.bytecode as Hex,
  lying: contracts.LyingTestToken.bytecode as Hex,
};
export const solcVersion = parsed.data.compiler.version;
