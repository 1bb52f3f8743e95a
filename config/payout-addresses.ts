import type { Address } from 'viem';
import { z } from 'zod';
import { tronAddressSchema } from '../chain/tron-address';
import { ConfigError } from './config-error';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONFIG_PATHS, checkCount, itemsUnder, parseWith, parseYaml, readRepoFile } from './config-files';
import { DEFAULT_LIMITS, limitOf, type Limits } from './limits';

/** A node's payout address: TRON base58check, and the 20-byte EVM form of the same key that the router pays. */
export interface PayoutAddress {
  tron: string;
  evm: Address;
}

const addressesSchema = z.strictObject({
  nodes: z.record(z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'a node id is lowercase'), tronAddressSchema),
});

/** clusters/payout-addresses.yaml: `nodes: { <node id>: <TRON address> }`, beside the inventory. */
export function parsePayoutAddresses(text: string, limits: Limits = DEFAULT_LIMITS): Map<string, PayoutAddress> {
  const file = CONFIG_PATHS.payoutAddresses;
  const doc = parseYaml(file, text);
  checkCount(file, 'nodes', itemsUnder(doc, 'nodes'), limitOf(limits, 'inventory', 'maxClusters'), 'nodes');
  const parsed = parseWith(addressesSchema, file, doc);
  return new Map(Object.entries(parsed.nodes).map(([node, a]) => [node, { tron: a.tron, evm: a.evm }]));
}

export function loadPayoutAddresses(treeDir: string, limits: Limits = DEFAULT_LIMITS): Map<string, PayoutAddress> {
  const file = CONFIG_PATHS.payoutAddresses;
  if (!fs.existsSync(path.join(treeDir, file))) throw new ConfigError(file, '(file)', 'no payout addresses in the config repo: no node can be paid');
  return parsePayoutAddresses(readRepoFile(treeDir, file, limitOf(limits, 'inventory', 'maxBytes')), limits);
}
