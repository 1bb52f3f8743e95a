import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Address } from 'viem';
import type { PayoutProvision } from '../../chain/provision-payouts';
import type { ObjectStoreState } from './object-store';

/*
 * What `lucid dev up` recorded, apart from what starts the stack: every console
 * command reads it, and reading a JSON file must not load the chain and
 * database libraries that starting the stack needs.
 */

/** `dev`: Temporal's dev server and FerretDB on SQLite; `postgres`: Temporal's own server and FerretDB on the stack's PostgreSQL. */
export type StackEngine = 'dev' | 'postgres';

/** The anchoring chain as `dev up` left it: where to send, what to call, which key signs. */
export interface ChainState {
  rpc: string;
  chainId: number;
  /** LucidAnchor's address. */
  contract: Address;
  /** The block it was deployed in, where an indexer starts. */
  deployBlock: number;
  /** The anchoring key (0x-hex, a 0400 file on tmpfs) that only the chain worker reads. */
  keyFile: string;
  /** The anchoring key's address, authorised on the contract. */
  sender: Address;
  embedded: boolean;
  /** The test token and the payout routers, paying from the wallet whose keystore (and its password file) is here. */
  payouts: PayoutProvision & { keystoreFile: string; passwordFile: string };
}

export interface StackState {
  namespace: string;
  /** Absent in states written before there was a choice: the dev server. */
  engine?: StackEngine;
  /** The postgres engine's PostgreSQL (`postgres://user@host:port`, trust auth on loopback: no secret). */
  postgresUrl?: string;
  temporalAddress: string;
  temporalUi?: string;
  mongoUrl: string;
  /** host:port of the embedded registry that images are pushed to and clusters pull from. */
  registry: string;
  repoUrl?: string;
  dataDir: string;
  workers: string[];
  /** Node workers' key files (on tmpfs), for the session commands on this machine. */
  nodes?: Record<string, { keyFile: string }>;
  chain?: ChainState;
  /** Where node workers replicate sealed chunks; absent when no object store was started or named. */
  objectStore?: ObjectStoreState;
}

export function stackDir(dataDir: string): string {
  return path.join(dataDir, 'stack');
}

export function readStackState(dataDir: string): StackState | undefined {
  const file = path.join(stackDir(dataDir), 'stack.json');
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as StackState) : undefined;
}
