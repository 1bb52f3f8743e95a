import * as fs from 'node:fs';
import * as path from 'node:path';
import { privateKeyToAccount } from 'viem/accounts';
import { buildBatchTree, sessionLeaf } from '../../anchoring/batch-tree';
import { AnchorChain } from '../../chain/anchor-chain';
import { readChainKeyFile } from '../../chain/chain-key';
import { readStackState, stackDir, type ChainState } from '../../services/stack/stack-state';
import { portOpen } from '../../services/stack/managed-process';
import { readKeystore } from '../../wallet/keystore';
import { FleetHarness } from '../support/fleet-harness';

type Component = { name: string; embedded: boolean; running: boolean; address?: string; head?: number; detail?: string };

let h: FleetHarness;
let env: NodeJS.ProcessEnv;
let dataDir: string;
const port = () => h.stack.chainPort + 20;

async function cli(args: string[], e = env): Promise<string> {
  const out = await h.cliWith(e, args);
  if (out.code !== 0) throw new Error(`lucid ${args.join(' ')} exited ${out.code}: ${out.stderr}`);
  return out.stdout;
}
// MinIO (when bootstrap --all built it) on a port of this run's, not dev up's 9000.
const s3Port = () => h.stack.registryPort + 1530;
const up = async (e = env) =>
  JSON.parse(await cli(['dev', 'up', '--chain-port', String(port()), '--s3-port', String(s3Port()), '--poll-seconds', '3600', '--json'], e)) as Component[];
const chainOf = (dir = dataDir): ChainState => readStackState(dir)!.chain!;

beforeAll(async () => {
  h = await FleetHarness.start('chain-stack', []);
  dataDir = path.join(h.dataDir, 'stack-data');
  const { LUCID_CHAIN_RPC: _rpc, LUCID_CONFIG_REPO: _repo, ...rest } = h.env;
  env = { ...rest, LUCID_DATA_DIR: dataDir };
});
afterAll(async () => {
  await h?.cliWith(env, ['dev', 'down']);
  for (const dir of [dataDir, path.join(h.dataDir, 'external')]) {
    const keyFile = readStackState(dir)?.chain?.keyFile;
    if (keyFile) fs.rmSync(path.dirname(keyFile), { recursive: true, force: true });
  }
  await h?.close();
});

describe('the chain in the embedded stack', () => {
  it('dev up starts anvil, deploys LucidAnchor and authorises a private anchoring key; dev status lists the chain with its head', async () => {
    const t0 = Date.now();
    const status = await up();
    process.stderr.write(`dev up (chain, workers; external Temporal, MongoDB, registry): ${Date.now() - t0} ms\n`);
    const rpc = `http://127.0.0.1:${port()}`;
    expect(status.find((c) => c.name === 'chain')).toMatchObject({ embedded: true, running: true, address: rpc, head: expect.any(Number) });
    expect(status.find((c) => c.name === 'object-store')).toMatchObject({ embedded: true, running: true, address: `http://127.0.0.1:${s3Port()}` });
    const chain = chainOf();
    expect(chain).toMatchObject({ rpc, chainId: 31337, embedded: true });
    const st = fs.statSync(chain.keyFile);
    expect(chain.keyFile.startsWith('/dev/shm/')).toBe(true);
    expect([st.mode & 0o777, st.uid]).toEqual([0o400, process.getuid!()]);
    expect(privateKeyToAccount(readChainKeyFile(chain.keyFile)).address).toBe(chain.sender);
    expect(await new AnchorChain({ rpcUrl: rpc, contract: chain.contract }).isAuthorized(chain.sender)).toBe(true);
    const { payouts } = chain;
    expect(readKeystore(payouts.keystoreFile, payouts.passwordFile).address).toBe(payouts.wallet);
    expect(status.filter((c) => c.name.startsWith('payout-'))).toEqual([
      expect.objectContaining({ name: 'payout-token', running: true, address: payouts.token }),
      expect.objectContaining({ name: 'payout-router:PR0', running: true, address: payouts.routers.PR0, detail: `payer ${payouts.wallet}, balance 10000000` }),
      expect.objectContaining({ name: 'payout-router:PRKYC', running: true, address: payouts.routers.PRKYC, detail: `payer ${payouts.wallet}, balance 10000000` }),
    ]);
    expect(JSON.parse(await cli(['dev', 'status', '--json']))).toEqual(status);
    const text = await h.cliWith(env, ['dev', 'status']);
    expect(text.stderr).toMatch(new RegExp(`chain +running ${rpc} \\(block \\d+\\)`));
    expect(text.stderr).toMatch(new RegExp(`payout-router:PR0 +running ${payouts.routers.PR0} payer ${payouts.wallet}, balance 10000000`));
  });

  it('a second dev up reuses the contract; dev down stops the chain cleanly, so its state survives the next dev up', async () => {
    const first = chainOf();
    const chain = new AnchorChain({ rpcUrl: first.rpc, contract: first.contract });
    const headBefore = (await chain.head()).number;
    await up();
    expect(chainOf()).toEqual({ ...first, payouts: { ...first.payouts, deployed: false } });
    expect((await chain.head()).number).toBe(headBefore);

    const s = { sessionId: 'stack-session', sessionRoot: `0x${'5a'.repeat(32)}` as const };
    const tree = buildBatchTree([sessionLeaf(s.sessionId, s.sessionRoot)]);
    const signed = await chain.signAnchor(readChainKeyFile(first.keyFile), { batchId: tree.id, root: tree.root, count: 1 });
    expect(await chain.broadcast(signed.raw)).toBe('accepted');
    while (!(await chain.receipt(signed.hash))) await new Promise((r) => setTimeout(r, 20));

    const down = await h.cliWith(env, ['dev', 'down']);
    expect(down.stderr.split(/[\s,]+/)).toContain('chain');
    expect(await portOpen('127.0.0.1', port())).toBe(false);
    expect(fs.existsSync(path.join(stackDir(dataDir), 'chain-state.json'))).toBe(true);
    expect(JSON.parse(await cli(['dev', 'status', '--json'])).find((c: Component) => c.name === 'chain')).toMatchObject({ running: false });

    await up();
    expect(chainOf()).toEqual({ ...first, payouts: { ...first.payouts, deployed: false } });
    expect(await chain.anchoredRoot(tree.id)).toBe(tree.root);
  });

  it('a lost anchoring key is replaced and authorised on the same contract by its owner', async () => {
    const before = chainOf();
    fs.rmSync(before.keyFile);
    await up();
    const after = chainOf();
    expect(after).toMatchObject({ contract: before.contract, deployBlock: before.deployBlock, keyFile: before.keyFile });
    expect(after.sender).not.toBe(before.sender);
    expect(await new AnchorChain({ rpcUrl: after.rpc, contract: after.contract }).isAuthorized(after.sender)).toBe(true);
  });

  it('a chain that lost its state gets a fresh deployment on the next dev up', async () => {
    const before = chainOf();
    await cli(['dev', 'down']);
    fs.rmSync(path.join(stackDir(dataDir), 'chain-state.json'));
    await up();
    const after = chainOf();
    const chain = new AnchorChain({ rpcUrl: after.rpc, contract: after.contract });
    // The owner key deploys at nonce 0 again, so the address repeats; the chain under it is new.
    expect(after.contract).toBe(before.contract);
    expect(after.payouts).toMatchObject({ deployed: true, wallet: before.payouts.wallet, token: before.payouts.token });
    expect(await chain.isAuthorized(after.sender)).toBe(true);
    const tree = buildBatchTree([sessionLeaf('stack-session', `0x${'5a'.repeat(32)}`)]);
    expect(await chain.anchoredRoot(tree.id)).toBeNull();
    await cli(['dev', 'down']);
  });

  it('LUCID_CHAIN_RPC uses another chain: nothing is started, the contract is deployed there, dev down leaves it running', async () => {
    const e = { ...env, LUCID_DATA_DIR: path.join(h.dataDir, 'external'), LUCID_CHAIN_RPC: h.stack.chainRpc };
    const status = await up(e);
    expect(status.find((c) => c.name === 'chain')).toMatchObject({ embedded: false, running: true, address: h.stack.chainRpc, head: expect.any(Number) });
    const chain = chainOf(e.LUCID_DATA_DIR);
    expect(chain).toMatchObject({ rpc: h.stack.chainRpc, embedded: false });
    expect(chain.contract).not.toBe(h.stack.chainContract);
    expect(await new AnchorChain({ rpcUrl: chain.rpc, contract: chain.contract }).isAuthorized(chain.sender)).toBe(true);
    expect(await portOpen('127.0.0.1', port())).toBe(false);
    const down = await h.cliWith(e, ['dev', 'down']);
    // The chain worker is stopped; the external chain itself is not.
    expect(down.stderr).toMatch(/stopped .*worker-chain/);
    expect(down.stderr.split(/[\s,]+/)).not.toContain('chain');
    expect(await portOpen('127.0.0.1', h.stack.chainPort)).toBe(true);
  });
});
