import { createWalletClient, http, parseEther, type Address, type PublicClient } from 'viem';

// Enough for thousands of transactions at dev-chain fees; topped up only below the floor, so repeated runs do not drain the dev account.
const FUND = parseEther('10');
const FUND_FLOOR = parseEther('1');

/** Gas money for the stack's own keys, from the node's unlocked dev account, for those below the floor. */
export async function fundFromDevAccount(client: PublicClient, rpcUrl: string, addresses: Address[]): Promise<void> {
  const low: Address[] = [];
  for (const a of addresses) if ((await client.getBalance({ address: a })) < FUND_FLOOR) low.push(a);
  if (!low.length) return;
  // The node signs for its own unlocked account (eth_sendTransaction): anvil's and geth --dev's first account.
  const node = createWalletClient({ transport: http(rpcUrl, { retryCount: 1, timeout: 10_000 }) });
  const [dev] = await node.getAddresses();
  if (!dev) throw new Error(`chain ${rpcUrl} has no unlocked dev account to fund ${low.join(', ')} from: send each at least 1 ETH, then run again`);
  for (const to of low) {
    const hash = await node.sendTransaction({ account: dev, to, value: FUND, chain: null });
    const r = await client.waitForTransactionReceipt({ hash, timeout: 60_000 });
    if (r.status !== 'success') throw new Error(`chain ${rpcUrl}: funding ${to} from ${dev} (tx ${hash}) failed`);
  }
}
