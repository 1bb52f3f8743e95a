import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getAddress, type Address, type Hex } from 'viem';
import { generatePrivateKey } from 'viem/accounts';
import { EvmPayoutChain } from '../../chain/evm-payout-chain';
import { provisionPayouts, type PayoutProvision } from '../../chain/provision-payouts';
import { tronFromEvm } from '../../chain/tron-address';
import { batcherSettings } from '../../config/chain-config';
import { payoutAddressesYaml, payoutPolicyYaml, samplePayoutPolicy } from '../../demo/sample-payouts';
import { sampleFleetFiles } from '../../demo/sample-fleet';
import { codecParameters } from '../../sessions/chunk-codec';
import { leafHash, merkleRoot } from '../../sessions/merkle-tree';
import { SessionStore } from '../../stores/session-store';
import { queueForAnchoring } from '../../triggers/anchor-batcher';
import { createKeystore } from '../../wallet/keystore';
import type { SessionManifest } from '../../workflows/session-types';
import { eventually } from '../anchoring/anchor-fixtures';
import type { FleetHarness } from '../support/fleet-harness';
import { PrivateChain } from '../support/private-chain';

export function randomRecipient(): { evm: Address; tron: string } {
  const evm = getAddress(`0x${randomBytes(20).toString('hex')}`);
  return { evm, tron: tronFromEvm(evm) };
}

/**
 * A payout suite's own anvil: LucidAnchor (to anchor the sessions payouts are based on), the 6-decimal test token
 * and both routers, paying from a wallet whose key is sealed in a keystore only `lucid worker wallet` opens.
 */
export class PayoutChainFixture {
  private constructor(
    readonly chain: PrivateChain,
    readonly payouts: PayoutProvision,
    readonly keystoreFile: string,
    readonly passwordFile: string,
    /** Known to the test so it can look for it where it must not be; the workers read only the keystore. */
    readonly walletKey: Hex,
    readonly reader: EvmPayoutChain,
  ) {}

  static async start(opts: { port: number; dir: string; kyc?: Address[] }): Promise<PayoutChainFixture> {
    const chain = await PrivateChain.start({ port: opts.port, dir: opts.dir });
    const keystoreFile = path.join(opts.dir, 'wallet.keystore.json');
    const passwordFile = path.join(opts.dir, 'wallet.password');
    fs.writeFileSync(passwordFile, randomBytes(24).toString('base64url'), { mode: 0o600 });
    const walletKey = generatePrivateKey();
    const wallet = createKeystore(keystoreFile, passwordFile, walletKey);
    const payouts = await provisionPayouts({
      rpcUrl: chain.rpcUrl,
      ownerKey: generatePrivateKey(),
      wallet,
      kyc: opts.kyc ?? [],
      batchCap: 1_000_000n * 10n ** 6n,
      fund: 10_000_000n * 10n ** 6n,
    });
    const reader = new EvmPayoutChain({ rpcUrl: chain.rpcUrl, chainId: payouts.chainId, token: payouts.token, routers: payouts.routers });
    return new PayoutChainFixture(chain, payouts, keystoreFile, passwordFile, walletKey, reader);
  }

  /** `lucid worker wallet`'s variables: the chain, the routers and where the keystore is (never the key). */
  get walletVars(): NodeJS.ProcessEnv {
    return {
      LUCID_CHAIN_RPC: this.chain.rpcUrl,
      LUCID_PAYOUT_TOKEN: this.payouts.token,
      LUCID_PAYOUT_ROUTER_PR0: this.payouts.routers.PR0,
      LUCID_PAYOUT_ROUTER_PRKYC: this.payouts.routers.PRKYC,
      LUCID_WALLET_KEYSTORE: this.keystoreFile,
      LUCID_WALLET_PASSWORD_FILE: this.passwordFile,
    };
  }

  balances(recipients: readonly Address[]): Promise<bigint[]> {
    return Promise.all(recipients.map((r) => this.reader.balanceOf(r)));
  }

  async close(): Promise<void> {
    await this.chain.close();
  }
}

/** The payout planes on the fixture's chain: the harness's control worker, and the chain and wallet workers as processes. */
export async function startPayoutPlanes(h: FleetHarness, fx: PayoutChainFixture): Promise<{ chainWorker: ChildProcess; walletWorker: ChildProcess }> {
  await h.startControlWorker(fx.chain.endpoint);
  return { chainWorker: h.spawnWorker('chain', 'chain', fx.chain.vars), walletWorker: h.spawnWorker('wallet', 'wallet', fx.walletVars) };
}

/** The config repo with the payout policy (the demo's, with `policy` over it) and the nodes' payout addresses. */
export function commitPayoutConfig(h: FleetHarness, addresses: Record<string, string>, policy: Record<string, unknown> = {}): Promise<string> {
  return h.repo.commit(
    {
      ...sampleFleetFiles({ clusters: [] }),
      'policies/payouts.yaml': payoutPolicyYaml(samplePayoutPolicy(policy)),
      'clusters/payout-addresses.yaml': payoutAddressesYaml(addresses),
    },
    'payout policy and addresses',
    { replaceAll: true },
  );
}

/** A stored session manifest of `nodeId` that recorded `hours` and `bytes`, ended at `endedAt`. */
export async function recordedSession(sessions: SessionStore, nodeId: string, endedAt: Date, hours: number, bytes = 0): Promise<SessionManifest> {
  const leaves = [leafHash(randomBytes(64))];
  const manifest: SessionManifest = {
    sessionId: randomUUID(),
    nodeId,
    codec: codecParameters(64 * 1024, 3),
    chunks: leaves.map((leaf, index) => ({ index, size: 1000, stored: 800, leaf: leaf.toString('hex'), nonce: randomBytes(24).toString('hex') })),
    bytes,
    root: merkleRoot(leaves).toString('hex'),
    startedAt: new Date(endedAt.getTime() - hours * 3600_000).toISOString(),
    endedAt: endedAt.toISOString(),
    cancelled: false,
  };
  await sessions.save(manifest);
  return manifest;
}

/** Anchors the sessions through the real batcher and chain worker, and waits until each manifest is marked anchored. */
export async function anchorAll(h: FleetHarness, manifests: readonly SessionManifest[]): Promise<void> {
  const sessions = new SessionStore(h.db);
  for (const m of manifests) await queueForAnchoring(h.client, { sessionId: m.sessionId, root: m.root }, batcherSettings());
  for (const m of manifests) await eventually(`session ${m.sessionId} to be anchored`, async () => (await sessions.get(m.sessionId))?.anchored, 120_000);
}


/** Every file under `dir` (recursively, those `only` keeps) that holds one of the needles, as bytes. */
export function filesHolding(dir: string, needles: readonly Buffer[], only: (file: string) => boolean = () => true): string[] {
  const hits: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !only(entry.name)) continue;
    const file = path.join(entry.parentPath, entry.name);
    // The servers keep running while we read: a SQLite journal or WAL segment can go between listing and reading.
    const bytes = readIfThere(file);
    if (bytes && needles.some((n) => bytes.includes(n))) hits.push(file);
  }
  return hits;
}

function readIfThere(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
