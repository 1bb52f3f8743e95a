import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createPublicClient, createWalletClient, http, type Hex } from 'viem';
import { generatePrivateKey } from 'viem/accounts';
import { anvilArgs, rpcChainId } from '../../chain/anvil';
import { provisionAnchor } from '../../chain/provision-anchor';
import type { ChainEndpoint } from '../../config/chain-config';
import { toolPaths } from '../../services/stack/tool-paths';

/**
 * An anvil of a test's own, on its own port and state file, with LucidAnchor
 * provisioned for a fresh anchoring key (in a 0400 file, for a spawned
 * `lucid worker chain`). It can be stopped cleanly, killed with -9 (losing the
 * blocks since its last dump) and started again on the same state.
 */
export class PrivateChain {
  readonly rpcUrl: string;
  readonly stateFile: string;
  readonly keyFile: string;
  readonly anchorKey: Hex = generatePrivateKey();
  contract!: `0x${string}`;
  deployBlock = 0;
  private anvil?: ChildProcess;
  private readonly node;
  private readonly wallet;

  private constructor(
    readonly port: number,
    readonly dir: string,
    /** Seconds between anvil's state dumps: large, and only a clean stop keeps the newest blocks. */
    readonly stateIntervalSeconds: number,
  ) {
    this.rpcUrl = `http://127.0.0.1:${port}`;
    this.stateFile = path.join(dir, 'state.json');
    this.keyFile = path.join(dir, 'anchor.key');
    const transport = http(this.rpcUrl, { retryCount: 0, timeout: 5000 });
    this.node = createPublicClient({ transport });
    this.wallet = createWalletClient({ transport });
  }

  /** Starts anvil, deploys LucidAnchor, authorises the key, and stops cleanly once so the contract is in the state file. */
  static async start(opts: { port: number; dir: string; stateIntervalSeconds?: number }): Promise<PrivateChain> {
    fs.rmSync(opts.dir, { recursive: true, force: true });
    fs.mkdirSync(opts.dir, { recursive: true });
    const c = new PrivateChain(opts.port, opts.dir, opts.stateIntervalSeconds ?? 3600);
    fs.writeFileSync(c.keyFile, c.anchorKey, { mode: 0o400 });
    await c.up();
    const p = await provisionAnchor({ rpcUrl: c.rpcUrl, anchorKey: c.anchorKey, ownerKey: generatePrivateKey() });
    c.contract = p.contract;
    c.deployBlock = p.deployBlock;
    await c.restart();
    return c;
  }

  get endpoint(): ChainEndpoint {
    return { rpcUrl: this.rpcUrl, contract: this.contract };
  }

  /** What a spawned `lucid worker chain` (or CLI) needs to use this chain. */
  get vars(): NodeJS.ProcessEnv {
    return { LUCID_CHAIN_RPC: this.rpcUrl, LUCID_CHAIN_CONTRACT: this.contract, LUCID_CHAIN_KEY_FILE: this.keyFile };
  }

  get running(): boolean {
    return this.anvil !== undefined;
  }

  async up(): Promise<void> {
    if (this.anvil) return;
    const t0 = Date.now();
    const args = anvilArgs({ port: this.port, stateFile: this.stateFile, stateIntervalSeconds: this.stateIntervalSeconds });
    const child = spawn(toolPaths().anvil, args, { stdio: 'ignore' });
    this.anvil = child;
    child.once('exit', () => {
      if (this.anvil === child) this.anvil = undefined;
    });
    while ((await rpcChainId(this.rpcUrl)) === undefined) {
      if (Date.now() - t0 > 20_000) throw new Error(`anvil on port ${this.port} did not answer`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** SIGTERM: anvil dumps its state, so every block survives. */
  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  /** SIGKILL: the blocks since the last dump are gone. */
  async kill9(): Promise<void> {
    await this.signal('SIGKILL');
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.up();
  }

  async head(): Promise<number> {
    return Number((await this.node.getBlock({ blockTag: 'latest' })).number);
  }

  async setAutomine(on: boolean): Promise<void> {
    await this.rpc('evm_setAutomine', [on]);
  }

  async mine(): Promise<void> {
    await this.rpc('evm_mine', []);
  }

  /** A pending transaction the node holds (in its pool, not mined), or a mined one: its block number, null while pending. */
  async transaction(hash: Hex): Promise<{ blockNumber: bigint | null } | null> {
    return this.node.getTransaction({ hash }).catch(() => null);
  }

  /** A transfer from the node's dev account: a block with no anchor in it. */
  async otherTransaction(): Promise<void> {
    const [dev] = await this.wallet.getAddresses();
    const hash = await this.wallet.sendTransaction({ account: dev!, to: dev!, value: 1n, chain: null });
    await this.node.waitForTransactionReceipt({ hash, pollingInterval: 20 });
  }

  async close(): Promise<void> {
    await this.kill9();
  }

  rpc(method: string, params: unknown[]): Promise<unknown> {
    return this.node.request({ method: method as never, params: params as never });
  }

  private async signal(sig: NodeJS.Signals): Promise<void> {
    const a = this.anvil;
    if (!a) return;
    const exited = new Promise((r) => a.once('exit', r));
    a.kill(sig);
    await exited;
    this.anvil = undefined;
  }
}
