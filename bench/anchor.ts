import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { MongoClient } from 'mongodb';
import { bytesToHex, createPublicClient, encodeFunctionData, http, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { buildBatchTree, sessionLeaf } from '../anchoring/batch-tree';
import { AnchorChain } from '../chain/anchor-chain';
import { readChainKeyFile } from '../chain/chain-key';
import { lucidAnchorAbi } from '../chain/lucid-anchor-abi';
import { anchorStatus } from '../services/anchor-status';
import { downStack, upStack } from '../services/stack/embedded-stack';
import { AnchorStore } from '../stores/anchor-store';
import { SessionStore } from '../stores/session-store';
import { storedSession } from '../test/anchoring/anchor-fixtures';
import { queueForAnchoring } from '../triggers/anchor-batcher';
import { ensureAnchorIndexer } from '../triggers/anchor-indexer';
import { createChainWorker } from '../workers/chain';
import { createControlWorker } from '../workers/control';
import type { BatcherSettings } from '../workflows/anchor-types';
import { ANCHOR_INDEXER_ID } from '../workflows/task-queues';
import { median } from './bench-fleet';

/**
 * bench:anchor: on a real anvil with LucidAnchor provisioned as `dev up` does, a real Temporal
 * dev server and FerretDB: the latency from a stored manifest to its anchored proof through the
 * anchor-batcher and anchor-batch workflows, against one session anchored in a bare transaction;
 * transactions and gas per 1,000 sessions batched, against one transaction per session (10,000 of
 * them, which also fill the chain for the indexer); the indexer from block 0 and a reindex; and
 * a session's anchor and its batch's event read from MongoDB against a raw eth_getLogs scan.
 * The bench process holds the anchoring key: it runs the chain worker in-process and sends the
 * single-session anchors itself.
 */
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 48);
const ARRIVAL_MS = Number(process.env.BENCH_ARRIVAL_MS ?? 125);
const SETTINGS: BatcherSettings = { maxBatch: 16, maxWaitSeconds: 2, confirmations: 1 };
const SINGLES = Number(process.env.BENCH_EVENTS ?? 10_000);
const BARE_ROUNDS = 5;
const READS = 15;
// 200 anchors (about 14.3 M gas) stay under the 15 M gas a block at which the base fee starts to rise.
const WAVE = 200;
// The chain worker polls for receipts this often; the bare transaction is polled alike.
const POLL_MS = 250;
// Apart from the other benches' ports; shifted like the test stack's so two checkouts can run it at once.
const OFFSET = Number(process.env.LUCID_TEST_PORT_OFFSET ?? 0);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const randomRoot = (): Hex => bytesToHex(randomBytes(32));

async function until<T>(what: string, get: () => Promise<T | undefined | null | false>, timeoutMs = 120_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`bench:anchor: timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** One session's root anchored alone, signed, sent and confirmed by AnchorChain directly: no batcher, no workflow. */
async function bareAnchor(chain: AnchorChain, key: Hex): Promise<number> {
  const tree = buildBatchTree([sessionLeaf(randomUUID(), randomRoot())]);
  const t = performance.now();
  const signed = await chain.signAnchor(key, { batchId: tree.id, root: tree.root, count: 1 });
  await chain.broadcast(signed.raw);
  await until(`bare anchor ${signed.hash}`, async () => ((await chain.receipt(signed.hash))?.confirmations ?? 0) >= 1, 60_000, POLL_MS);
  return performance.now() - t;
}

/**
 * `n` sessions each anchored in its own transaction, signed here with consecutive nonces and sent in JSON-RPC
 * batches (signing each through AnchorChain would cost three RPC round trips a transaction); every receipt checked.
 * Sent in waves that fit under half a block's gas, so the base fee does not climb past what they were signed for.
 */
async function anchorEachAlone(rpcUrl: string, contract: Address, key: Hex, n: number) {
  const client = createPublicClient({ transport: http(rpcUrl, { batch: { batchSize: WAVE }, timeout: 120_000 }) });
  const account = privateKeyToAccount(key);
  const first = buildBatchTree([sessionLeaf(randomUUID(), randomRoot())]);
  const [chainId, nonce, tip, gas] = await Promise.all([
    client.getChainId(),
    client.getTransactionCount({ address: account.address, blockTag: 'pending' }),
    client.estimateMaxPriorityFeePerGas(),
    client.estimateContractGas({ address: contract, abi: lucidAnchorAbi, functionName: 'anchor', args: [first.id, first.root, 1n], account }),
  ]);
  const batchIds: Hex[] = [];
  const hashes: Hex[] = [];
  const t = performance.now();
  for (let start = 0; start < n; start += WAVE) {
    const { baseFeePerGas } = await client.getBlock({ blockTag: 'latest' });
    const raws = await Promise.all(
      Array.from({ length: Math.min(WAVE, n - start) }, (_, j) => {
        const tree = start + j === 0 ? first : buildBatchTree([sessionLeaf(randomUUID(), randomRoot())]);
        batchIds.push(tree.id);
        const data = encodeFunctionData({ abi: lucidAnchorAbi, functionName: 'anchor', args: [tree.id, tree.root, 1n] });
        const fees = { maxFeePerGas: baseFeePerGas! * 2n + tip, maxPriorityFeePerGas: tip };
        return account.signTransaction({ chainId, nonce: nonce + start + j, to: contract, data, gas: (gas * 6n) / 5n, ...fees });
      }),
    );
    hashes.push(...(await Promise.all(raws.map((raw) => client.sendRawTransaction({ serializedTransaction: raw })))));
    const mined = nonce + start + raws.length;
    await until(`single anchors up to nonce ${mined - 1} mined`, async () => (await client.getTransactionCount({ address: account.address, blockTag: 'latest' })) >= mined);
  }
  let gasUsed = 0n;
  for (let start = 0; start < n; start += 1000) {
    const receipts = await Promise.all(hashes.slice(start, start + 1000).map((hash) => client.getTransactionReceipt({ hash })));
    for (const r of receipts) {
      if (r.status !== 'success') throw new Error(`bench:anchor: single anchor tx ${r.transactionHash} reverted`);
      gasUsed += r.gasUsed;
    }
  }
  return { batchIds, gasUsed, seconds: (performance.now() - t) / 1000 };
}

async function main(): Promise<void> {
  const started = performance.now();
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-bench-anchor-'));
  const stack = await upStack({
    dataDir,
    namespace: 'lucid',
    temporalPort: 37333 + OFFSET,
    mongoPort: 37117 + OFFSET,
    registryPort: 37600 + OFFSET,
    chainPort: 38645 + OFFSET,
    workers: [],
  });
  const cs = stack.chain!;
  const endpoint = { rpcUrl: cs.rpc, contract: cs.contract };
  const chain = new AnchorChain(endpoint);
  const key = readChainKeyFile(cs.keyFile);
  const connection = await NativeConnection.connect({ address: stack.temporalAddress });
  const clientConnection = await Connection.connect({ address: stack.temporalAddress });
  const client = new Client({ connection: clientConnection, namespace: 'lucid' });
  const mongo = await new MongoClient(stack.mongoUrl).connect();
  const db = mongo.db('lucid_bench');
  const sessions = new SessionStore(db);
  const anchors = new AnchorStore(db);
  const rpc = createPublicClient({ transport: http(cs.rpc) });
  const workers: Worker[] = [
    await createControlWorker({ connection, clientConnection, namespace: 'lucid', db, chain: endpoint }),
    await createChainWorker({ connection, namespace: 'lucid', endpoint, privateKey: key }),
  ];
  const running = workers.map((w) => w.run());
  try {
    const bareMs: number[] = [];
    for (let i = 0; i < BARE_ROUNDS; i++) bareMs.push(await bareAnchor(chain, key));

    // Sessions end one after another; each manifest is stored, then queued as the session workflow's activity does.
    const manifests = [];
    for (let i = 0; i < SESSIONS; i++) {
      const m = await storedSession(sessions, 'bench-node');
      await queueForAnchoring(client, { sessionId: m.sessionId, root: m.root }, SETTINGS);
      manifests.push(m);
      await sleep(ARRIVAL_MS);
    }
    const marks = [];
    for (const m of manifests) marks.push(await until(`session ${m.sessionId} anchored`, async () => (await sessions.get(m.sessionId))?.anchored));
    const { latencySeconds } = await anchorStatus({ anchors, sessions, chain: endpoint });
    let batchGas = 0n;
    const batchIds = [...new Set(marks.map((a) => a.batchId))];
    for (const id of batchIds) {
      const doc = (await anchors.batch(id))!;
      // The chain is the ground truth: the root it holds for the batch is the one sealed in MongoDB.
      if ((await chain.anchoredRoot(id as Hex)) !== doc.root) throw new Error(`bench:anchor: batch ${id}: the chain holds another root`);
      batchGas += (await rpc.getTransactionReceipt({ hash: doc.receipt!.txHash as Hex })).gasUsed;
    }
    process.stderr.write(`${SESSIONS} sessions anchored in ${batchIds.length} batches\n`);

    // The indexer started with the first session; it is started afresh, from block 0, once the chain holds the singles.
    await client.workflow.getHandle(ANCHOR_INDEXER_ID).terminate('bench:anchor: replayed from block 0 later');
    const singles = await anchorEachAlone(cs.rpc, cs.contract, key, SINGLES);
    process.stderr.write(`${SINGLES} single-session anchors sent and mined in ${singles.seconds.toFixed(1)} s\n`);

    const head = (await chain.head()).number;
    const caughtUp = async () => (await anchors.cursor()).next > head;
    await anchors.reindexFrom(0);
    let t = performance.now();
    await ensureAnchorIndexer(client);
    await until('the indexer to reach the head', caughtUp);
    const fromZeroSeconds = (performance.now() - t) / 1000;
    const events = await anchors.eventCount();
    if (events !== batchIds.length + BARE_ROUNDS + SINGLES) throw new Error(`bench:anchor: indexed ${events} events, the chain has ${batchIds.length + BARE_ROUNDS + SINGLES}`);

    // As `lucid chain reindex --from 0` does: the running indexer reads it all again.
    t = performance.now();
    await anchors.reindexFrom(0);
    await until('the reindex to reach the head', caughtUp);
    const reindexSeconds = (performance.now() - t) / 1000;

    // A session's anchor as `lucid session proof` reads it, and its batch's event from the event index, against
    // what a reader without Lucid's index does: scan the chain's logs from block 0 for the batch id's topic.
    const proofMs: number[] = [];
    const eventMs: number[] = [];
    const scanMs: number[] = [];
    const timed = async <T>(into: number[], fn: () => Promise<T>): Promise<T> => {
      const t0 = performance.now();
      const v = await fn();
      into.push(performance.now() - t0);
      return v;
    };
    for (let i = 0; i < READS; i++) {
      const { sessionId } = manifests[Math.floor(Math.random() * manifests.length)]!;
      const proof = (await timed(proofMs, () => anchors.anchorOf(sessionId)))!;
      const indexed = await timed(eventMs, () => anchors.eventsOf(proof.batchId));
      const scanned = await timed(scanMs, () =>
        rpc.getContractEvents({ address: cs.contract, abi: lucidAnchorAbi, eventName: 'Anchored', args: { batchId: proof.batchId as Hex }, fromBlock: 0n, toBlock: BigInt(head) }),
      );
      const txs = new Set([proof.receipt.txHash, ...indexed.map((e) => e.txHash), ...scanned.map((e) => e.transactionHash)]);
      if (indexed.length !== 1 || scanned.length !== 1 || txs.size !== 1) throw new Error(`bench:anchor: session ${sessionId}: the index and the chain disagree`);
    }

    const perThousand = (x: number) => (x * 1000) / SESSIONS;
    const batchedTx = perThousand(batchIds.length);
    const batchedGas = perThousand(Number(batchGas));
    const gasPerTx = Number(singles.gasUsed) / SINGLES;
    const bare = median(bareMs) / 1000;
    const [proofRead, eventRead, scan] = [median(proofMs), median(eventMs), median(scanMs)];
    const n = (x: number, digits = 0) => x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
    process.stdout.write(
      [
        `bench:anchor (${SESSIONS} sessions ending every ${ARRIVAL_MS} ms; batches close at ${SETTINGS.maxBatch} sessions or ${SETTINGS.maxWaitSeconds} s; ` +
          `${SETTINGS.confirmations} confirmation; anvil, Temporal dev server, FerretDB)`,
        `  manifest stored -> anchored proof, through anchor-batcher/anchor-batch   p50 ${latencySeconds.p50!.toFixed(2)} s   p95 ${latencySeconds.p95!.toFixed(2)} s`,
        `  one session in a bare transaction (sign, send, 1 confirmation)           ${bare.toFixed(3)} s   ratio p50/bare ${(latencySeconds.p50! / bare).toFixed(1)}`,
        `  transactions per 1,000 sessions   batched ${n(batchedTx, 1)} (${batchIds.length} batches)   one per session 1,000   ratio ${(1000 / batchedTx).toFixed(1)}`,
        `  gas per 1,000 sessions            batched ${n(batchedGas)} (${n(Number(batchGas) / batchIds.length)} a batch)   ` +
          `one per session ${n(gasPerTx * 1000)} (${n(gasPerTx)} a tx)   ratio ${((gasPerTx * 1000) / batchedGas).toFixed(1)}`,
        `  indexer from block 0 (${n(head)} blocks)   ${n(events)} events in ${fromZeroSeconds.toFixed(1)} s   ${n(events / fromZeroSeconds)} events/s`,
        `  reindex --from 0 (with the indexer's idle pause, up to 2 s)   ${n(events)} events in ${reindexSeconds.toFixed(1)} s   ${n(events / reindexSeconds)} events/s`,
        `  raw eth_getLogs scan from block 0 for a batch's event   ${scan.toFixed(2)} ms (medians of ${READS})`,
        `    a session's anchor from MongoDB (session proof)       ${proofRead.toFixed(2)} ms   ratio scan/read ${(scan / proofRead).toFixed(1)}`,
        `    the batch's event from anchor_events (event index)    ${eventRead.toFixed(2)} ms   ratio scan/read ${(scan / eventRead).toFixed(2)}`,
        `  simulated: sessions are stored manifests of random chunks (no recording); the ${n(SINGLES)} one-per-session anchors are ` +
          'signed and sent by the bench, not by workflows',
        `  runtime ${((performance.now() - started) / 1000).toFixed(0)} s`,
        '',
      ].join('\n'),
    );
  } finally {
    for (const w of workers) w.shutdown();
    await Promise.all(running);
    await mongo.close();
    await connection.close();
    await clientConnection.close();
    await downStack(dataDir);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench:anchor: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
