import { createPublicClient, createWalletClient, getAddress, http, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { lucidAnchorAbi } from './lucid-anchor-abi';
import { lucidAnchorBytecode } from './contract-artifact';
import { fundFromDevAccount } from './dev-account';

export interface AnchorProvision {
  chainId: number;
  contract: Address;
  /** The block LucidAnchor was deployed in: where an indexer starts. */
  deployBlock: number;
  /** The anchoring key's address, authorised on the contract. */
  sender: Address;
  /** True when this call deployed the contract. */
  deployed: boolean;
}

/**
 * Makes LucidAnchor ready for the anchoring key, idempotently: funds the owner and anchoring
 * keys from the node's unlocked dev account when they run low, reuses `recorded` when its code
 * is on chain and the key is (or can be) authorised there, and otherwise deploys a fresh
 * contract from the owner key and authorises the anchoring key. A chain whose state was lost
 * (a dev chain without its state file) thus gets a new deployment.
 */
export async function provisionAnchor(opts: {
  rpcUrl: string;
  anchorKey: Hex;
  ownerKey: Hex;
  recorded?: { contract: Address; deployBlock: number };
}): Promise<AnchorProvision> {
  const transport = http(opts.rpcUrl, { retryCount: 1, timeout: 10_000 });
  const client = createPublicClient({ transport, pollingInterval: 100 });
  const owner = privateKeyToAccount(opts.ownerKey);
  const sender = privateKeyToAccount(opts.anchorKey).address;
  const wallet = createWalletClient({ account: owner, transport });
  const chainId = await client.getChainId();
  const mined = async (hash: Hex, what: string) => {
    const r = await client.waitForTransactionReceipt({ hash, timeout: 60_000 });
    if (r.status !== 'success') throw new Error(`chain ${opts.rpcUrl}: ${what} (tx ${hash}) reverted`);
    return r;
  };
  await fundFromDevAccount(client, opts.rpcUrl, [owner.address, sender]);

  if (opts.recorded && (await client.getCode({ address: opts.recorded.contract }))?.length) {
    const { contract, deployBlock } = opts.recorded;
    const read = { address: contract, abi: lucidAnchorAbi } as const;
    if (await client.readContract({ ...read, functionName: 'authorized', args: [sender] })) {
      return { chainId, contract, deployBlock, sender, deployed: false };
    }
    if (getAddress(await client.readContract({ ...read, functionName: 'owner' })) === owner.address) {
      await mined(await wallet.writeContract({ ...read, functionName: 'authorize', args: [sender], chain: null }), `authorize(${sender})`);
      return { chainId, contract, deployBlock, sender, deployed: false };
    }
  }

  const deploy = await mined(await wallet.deployContract({ abi: lucidAnchorAbi, bytecode: lucidAnchorBytecode, chain: null }), 'deploying LucidAnchor');
  const contract = getAddress(deploy.contractAddress!);
  await mined(
    await wallet.writeContract({ address: contract, abi: lucidAnchorAbi, functionName: 'authorize', args: [sender], chain: null }),
    `authorize(${sender})`,
  );
  return { chainId, contract, deployBlock: Number(deploy.blockNumber), sender, deployed: true };
}
