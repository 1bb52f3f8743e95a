import type { Hex } from 'viem';
import { z } from 'zod';
import artifacts from '../contracts/artifacts.json';

const artifactSchema = z.object({
  compiler: z.object({ version: z.string() }),
  contracts: z.object({
    LucidAnchor: z.object({ bytecode: z.string().regex(/^0x[0-9a-f]+$/), deployedBytecode: z.string().regex(/^0x[0-9a-f]+$/) }),
  }),
});

const parsed = artifactSchema.safeParse(artifacts);
if (!parsed.success) throw new Error(`contracts/artifacts.json: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);

/** LucidAnchor's creation code, from the committed artifact (scripts/compile-contracts.ts). */
export const lucidAnchorBytecode = parsed.data.contracts.LucidAnchor.bytecode as Hex;
export const solcVersion = parsed.data.compiler.version;
