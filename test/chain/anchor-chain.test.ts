import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createPublicClient, http, keccak256, stringToHex, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { blake3 } from '@napi-rs/blake-hash';
import { buildBatchTree, sessionLeaf } from '../../anchoring/batch-tree';
import { sessionProof, verifyProofOffline, verifyProofOnChain, withChunkProof, type ProofDocument } from '../../anchoring/proof-document';
import { AnchorChain, AnchorChainError, type SignedAnchor } from '../../chain/anchor-chain';
import { anvilArgs, rpcChainId } from '../../chain/anvil';
import { readChainKeyFile } from '../../chain/chain-key';
import { provisionAnchor } from '../../chain/provision-anchor';
import { leafHash, merkleRoot } from '../../sessions/merkle-tree';
import { toolPaths } from '../../services/stack/tool-paths';
import { testStack } from '../support/test-stack';

const stack = testStack();
const chain = new AnchorChain({ rpcUrl: stack.chainRpc, contract: stack.chainContract });
const key = readChainKeyFile(stack.chainKeyFile);
let seq = 0;

/** A batch of `n` sessions no other test anchored. */
function sessions(n: number) {
  const tag = `${process.pid}-${Date.now()}-${seq++}`;
  return Array.from({ length: n }, (_, i) => ({ sessionId: `s-${tag}-${i}`, sessionRoot: `0x${blake3(Buffer.from(`${tag}-${i}`)).toString('hex')}` as Hex }));
}

function batchOf(n: number) {
  const s = sessions(n);
  const tree = buildBatchTree(s.map((x) => sessionLeaf(x.sessionId, x.sessionRoot)));
  return { sessions: s, tree, batch: { batchId: tree.id, root: tree.root, count: tree.size } };
}

async function mined(c: AnchorChain, signed: SignedAnchor) {
  expect(await c.broadcast(signed.raw)).toBe('accepted');
  for (let i = 0; i < 100; i++) {
    const r = await c.receipt(signed.hash);
    if (r) return r;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`tx ${signed.hash} not mined`);
}

describe('AnchorChain against a real anvil', () => {
  it('the signed hash is the hash the node gives the broadcast transaction; a rebroadcast after mining is nonce-used', async () => {
    const { batch } = batchOf(3);
    const signed = await chain.signAnchor(key, batch);
    expect(signed.hash).toBe(keccak256(signed.raw));
    expect(signed.from).toBe(privateKeyToAccount(key).address);
    const node = createPublicClient({ transport: http(stack.chainRpc) });
    expect(await node.sendRawTransaction({ serializedTransaction: signed.raw })).toBe(signed.hash);
    const receipt = await node.waitForTransactionReceipt({ hash: signed.hash, pollingInterval: 50 });
    expect(receipt.status).toBe('success');
    expect(await chain.broadcast(signed.raw)).toBe('nonce-used');

    const r = (await chain.receipt(signed.hash))!;
    expect(r).toMatchObject({ status: 'success', blockNumber: Number(receipt.blockNumber), blockHash: receipt.blockHash, confirmations: 1 });
    expect(r.events).toEqual([
      expect.objectContaining({ batchId: batch.batchId, root: batch.root, count: 3, txHash: signed.hash, logIndex: r.logIndex }),
    ]);
    expect(await chain.anchoredRoot(batch.batchId)).toBe(batch.root);
    const events = await chain.anchoredEvents(r.blockNumber, r.blockNumber);
    expect(events).toEqual([{ ...r.events[0], blockHash: receipt.blockHash }]);
    expect(await chain.head()).toMatchObject({ number: r.blockNumber });
    expect(await chain.blockHash(r.blockNumber)).toBe(r.blockHash);
    expect(await chain.blockHash(r.blockNumber + 1000)).toBeNull();
    expect(await chain.chainId()).toBe(31337);
  });

  it('a sender the owner never authorised is refused, and Lucid says so without the key', async () => {
    const { batch } = batchOf(2);
    const stranger = generatePrivateKey();
    const address = privateKeyToAccount(stranger).address;
    expect(await chain.simulateAnchor(address, batch)).toEqual({
      ok: false,
      reason: 'unauthorized',
      message: `the contract refused: sender ${address} is not authorised to anchor`,
    });
    const err = await chain.signAnchor(stranger, batch).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AnchorChainError);
    expect(err).toMatchObject({ kind: 'refused', refusal: 'unauthorized', batchId: batch.batchId });
    expect((err as Error).message).toBe(`anchor ${batch.batchId}: the contract refused: sender ${address} is not authorised to anchor`);
    expect(JSON.stringify(err) + (err as Error).message + (err as Error).stack).not.toContain(stranger.slice(2));
    expect(await chain.anchoredRoot(batch.batchId)).toBeNull();
  });

  it('a batch id anchored twice is refused: by simulation, by signing, and on chain by a second transaction', async () => {
    const { batch } = batchOf(4);
    const first = await chain.signAnchor(key, batch);
    // Signed before the first is mined, so only the contract can stop it.
    const second = await chain.signAnchor(key, batch, first.nonce + 1);
    expect(second.hash).not.toBe(first.hash);
    expect((await mined(chain, first)).status).toBe('success');
    const r2 = await mined(chain, second);
    expect(r2).toMatchObject({ status: 'reverted', events: [], logIndex: null });

    expect(await chain.simulateAnchor(first.from, batch)).toEqual({
      ok: false,
      reason: 'already-anchored',
      anchoredRoot: batch.root,
      message: `the contract refused: batch ${batch.batchId} is already anchored (root ${batch.root})`,
    });
    await expect(chain.signAnchor(key, { ...batch, root: `0x${'11'.repeat(32)}` })).rejects.toMatchObject({
      kind: 'refused',
      refusal: 'already-anchored',
      message: `anchor ${batch.batchId}: the contract refused: batch ${batch.batchId} is already anchored (root ${batch.root})`,
    });
    const events = await chain.anchoredEvents(stack.chainDeployBlock, (await chain.head()).number);
    expect(events.filter((e) => e.batchId === batch.batchId)).toHaveLength(1);
  });

  it('bad input names the field, an unreachable chain names the RPC', async () => {
    await expect(chain.signAnchor(key, { batchId: '0x12', root: `0x${'11'.repeat(32)}`, count: 1 })).rejects.toThrow(
      'anchor batch 0x12: batchId: must be 0x and 64 hex digits (32 bytes)',
    );
    await expect(chain.signAnchor(key, { batchId: `0x${'11'.repeat(32)}`, root: `0x${'11'.repeat(32)}`, count: 0 })).rejects.toThrow(
      `anchor batch 0x${'11'.repeat(32)}: count: `,
    );
    await expect(chain.signAnchor(`0x${'zz'.repeat(32)}`, batchOf(1).batch)).rejects.toThrow('anchoring key: not 0x and 64 hex digits');
    const dead = new AnchorChain({ rpcUrl: 'http://127.0.0.1:9', contract: stack.chainContract });
    await expect(dead.anchoredRoot(`0x${'11'.repeat(32)}`)).rejects.toMatchObject({
      kind: 'unreachable',
      message: expect.stringContaining(`anchoredRoot (batch 0x${'11'.repeat(32)}): chain RPC http://127.0.0.1:9 did not answer`),
    });
  });

  it('LucidAnchor.verifyInclusion agrees with the off-chain paths for batches of 1, 2, 3, 5, 8 and 13', async () => {
    for (const n of [1, 2, 3, 5, 8, 13]) {
      const { sessions: s, tree, batch } = batchOf(n);
      await mined(chain, await chain.signAnchor(key, batch));
      for (let i = 0; i < n; i++) {
        const leaf = sessionLeaf(s[i]!.sessionId, s[i]!.sessionRoot);
        expect(await chain.verifyInclusion(batch.batchId, leaf, i, n, tree.path(i))).toBe(true);
        if (n > 1) expect(await chain.verifyInclusion(batch.batchId, leaf, (i + 1) % n, n, tree.path(i))).toBe(false);
      }
      // The size is bound to the anchored count: a caller cannot pass the root off as a one-leaf batch.
      expect(await chain.verifyInclusion(batch.batchId, tree.root, 0, 1, [])).toBe(n === 1);
    }
  });
});

describe('proof documents against the chain', () => {
  let doc: ProofDocument;
  let chunkLeaves: string[];

  beforeAll(async () => {
    const s = sessions(5);
    // Session 2's root is a real chunk tree, so its proof can go down to a chunk.
    chunkLeaves = Array.from({ length: 6 }, (_, i) => leafHash(Buffer.from(`chunk-${i}`)).toString('hex'));
    s[2]!.sessionRoot = `0x${merkleRoot(chunkLeaves.map((l) => Buffer.from(l, 'hex'))).toString('hex')}`;
    const tree = buildBatchTree(s.map((x) => sessionLeaf(x.sessionId, x.sessionRoot)));
    const signed = await chain.signAnchor(key, { batchId: tree.id, root: tree.root, count: tree.size });
    const r = await mined(chain, signed);
    doc = sessionProof({
      sessions: s,
      index: 2,
      anchor: {
        chainId: stack.chainId, contract: stack.chainContract, txHash: signed.hash,
        blockNumber: r.blockNumber, blockHash: r.blockHash, logIndex: r.logIndex!,
      },
    });
  });

  const flip = (h: Hex): Hex => `${h.slice(0, -2)}${((parseInt(h.slice(-2), 16) ^ 1) & 0xff).toString(16).padStart(2, '0')}` as Hex;

  it('a genuine proof verifies offline and on chain, with a chunk too', async () => {
    expect(verifyProofOffline(doc)).toMatchObject({ ok: true });
    const onChain = await verifyProofOnChain(doc, stack.chainRpc, 1);
    expect(onChain.failure).toBeUndefined();
    expect(onChain.checks.map((c) => c.check)).toEqual(expect.arrayContaining(['chain id', 'block canonical', 'Anchored event', 'confirmations', 'contract root', 'contract verifyInclusion']));
    const withChunk = withChunkProof(doc, chunkLeaves, 4);
    expect(verifyProofOffline(JSON.parse(JSON.stringify(withChunk)))).toMatchObject({ ok: true });
    expect(await verifyProofOnChain(withChunk, stack.chainRpc)).toMatchObject({ ok: true });
  });

  it('refuses a flipped path byte, a wrong index, another session, another chain id, naming the failure', async () => {
    const path = [...doc.path];
    path[1] = flip(path[1]!);
    expect((await verifyProofOnChain({ ...doc, path }, stack.chainRpc)).failure).toMatch(/^path does not fold to the batch root: session .* at index 2 folds to 0x[0-9a-f]{64}, batch.root is /);
    expect((await verifyProofOnChain({ ...doc, leafIndex: 3 }, stack.chainRpc)).failure).toMatch(/^path does not fold to the batch root: session .* at index 3/);
    expect((await verifyProofOnChain({ ...doc, leafIndex: 4 }, stack.chainRpc)).failure).toBe('path has 3 hashes, more than leaf 4 of a tree of 5 needs');
    expect((await verifyProofOnChain({ ...doc, leafIndex: 5 }, stack.chainRpc)).failure).toBe('leafIndex 5 is out of range for a batch of 5');
    expect((await verifyProofOnChain({ ...doc, sessionRoot: flip(doc.sessionRoot) }, stack.chainRpc)).failure).toMatch(/^path does not fold to the batch root/);
    expect((await verifyProofOnChain({ ...doc, sessionId: `${doc.sessionId}x` }, stack.chainRpc)).failure).toMatch(/^path does not fold to the batch root/);
    expect((await verifyProofOnChain({ ...doc, anchor: { ...doc.anchor, chainId: 1 } }, stack.chainRpc)).failure).toBe(
      'the RPC serves chain 31337, the proof is anchored on chain 1',
    );
  });

  it('refuses a proof whose anchor does not hold on chain, naming what', async () => {
    const v = (d: unknown, min = 1) => verifyProofOnChain(d, stack.chainRpc, min).then((r) => r.failure);
    expect(await v(doc, 1000)).toMatch(/^not enough confirmations: \d+, at least 1000 wanted$/);
    expect(await v({ ...doc, anchor: { ...doc.anchor, logIndex: doc.anchor.logIndex + 1 } })).toBe(
      `event missing: transaction ${doc.anchor.txHash} has no Anchored event of ${doc.anchor.contract} at log index ${doc.anchor.logIndex + 1} (Anchored events at: ${doc.anchor.logIndex})`,
    );
    expect(await v({ ...doc, anchor: { ...doc.anchor, txHash: flip(doc.anchor.txHash) } })).toMatch(/^transaction 0x[0-9a-f]{64} is not on chain 31337/);
    expect(await v({ ...doc, anchor: { ...doc.anchor, blockHash: flip(doc.anchor.blockHash) } })).toMatch(/^transaction .* is in block \d+ \(0x[0-9a-f]{64}\), the proof names block/);
    // Self-consistent offline, but another batch than the transaction anchored.
    const other = batchOf(5);
    const forged = sessionProof({ sessions: other.sessions, index: 0, anchor: doc.anchor });
    expect(await v(forged)).toMatch(/^the Anchored event at log \d+ is batch 0x[0-9a-f]{64}, root .*; the proof names batch /);
    expect(await v({ ...doc, batch: { ...doc.batch, id: flip(doc.batch.id) } })).toMatch(/^batch.id 0x[0-9a-f]{64} is not the id of batch.root and batch.count$/);
    expect(await v({ ...doc, v: 2 })).toBe('proof document: v: Invalid input: expected 1');
    expect(await verifyProofOnChain(doc, 'http://127.0.0.1:9').then((r) => r.failure)).toMatch(/chain RPC http:\/\/127.0.0.1:9 did not answer/);
  });

  it('refuses a chunk path that does not fold to the session root', () => {
    const withChunk = withChunkProof(doc, chunkLeaves, 4);
    const bad = { ...withChunk, chunk: { ...withChunk.chunk!, path: [flip(withChunk.chunk!.path[0]!), ...withChunk.chunk!.path.slice(1)] } };
    expect(verifyProofOffline(bad).failure).toMatch(/^chunk path does not fold to the session root: chunk 4 folds to 0x[0-9a-f]{64}, sessionRoot is /);
    expect(verifyProofOffline({ ...withChunk, chunk: { ...withChunk.chunk!, index: 6 } }).failure).toBe('chunk.index 6 is out of range for a session of 6 chunks');
    expect(() => withChunkProof(doc, chunkLeaves.slice(1), 0)).toThrow(/its 5 chunk leaves make root 0x[0-9a-f]{64}, the proof's sessionRoot is/);
  });
});

describe('a hard-killed chain that lost the anchor block', () => {
  const port = stack.chainPort + 10;
  const rpcUrl = `http://127.0.0.1:${port}`;
  const stateFile = path.join(stack.dataDir, 'kill-9-chain', 'state.json');
  let anvil: ChildProcess | undefined;

  async function startAnvil(): Promise<number> {
    const t0 = Date.now();
    anvil = spawn(toolPaths().anvil, anvilArgs({ port, stateFile, stateIntervalSeconds: 1 }), { stdio: 'ignore' });
    while ((await rpcChainId(rpcUrl)) === undefined) {
      if (Date.now() - t0 > 20000) throw new Error('anvil did not answer');
      await new Promise((r) => setTimeout(r, 20));
    }
    return Date.now() - t0;
  }

  async function kill9(): Promise<void> {
    const a = anvil!;
    const exited = new Promise((r) => a.once('exit', r));
    a.kill('SIGKILL');
    await exited;
    anvil = undefined;
  }

  /** Returns once anvil has just dumped its state, so the next second's blocks are not yet in the file. */
  async function justDumped(): Promise<void> {
    const before = fs.statSync(stateFile).mtimeMs;
    while (fs.statSync(stateFile).mtimeMs === before) await new Promise((r) => setTimeout(r, 5));
  }

  beforeAll(() => fs.mkdirSync(path.dirname(stateFile), { recursive: true }));
  afterAll(async () => {
    if (anvil) await kill9();
  });

  it('rebroadcasting the same signed bytes mines the anchor again in a new block', async () => {
    const started = await startAnvil();
    const anchorKey = generatePrivateKey();
    const p = await provisionAnchor({ rpcUrl, anchorKey, ownerKey: generatePrivateKey() });
    const c = new AnchorChain({ rpcUrl, contract: p.contract });
    await new Promise((r) => setTimeout(r, 1500)); // the contract is in the state file
    await justDumped();

    let lost: { signed: SignedAnchor; batch: ReturnType<typeof batchOf>['batch']; blockNumber: number } | undefined;
    // The periodic dump can still catch the block between mining and the kill; then try again.
    for (let attempt = 0; attempt < 3 && !lost; attempt++) {
      const { batch } = batchOf(3);
      const signed = await c.signAnchor(anchorKey, batch);
      await justDumped();
      const t0 = Date.now();
      const r = await mined(c, signed);
      const roundTrip = Date.now() - t0;
      await kill9();
      process.stderr.write(`anvil ready in ${started} ms; anchor broadcast to receipt ${roundTrip} ms\n`);
      await startAnvil();
      if ((await c.receipt(signed.hash)) === null) lost = { signed, batch, blockNumber: r.blockNumber };
    }
    expect(lost).toBeDefined();
    const { signed, batch, blockNumber } = lost!;
    expect((await c.head()).number).toBeLessThan(blockNumber);
    expect(await c.anchoredRoot(batch.batchId)).toBeNull();

    const again = await mined(c, signed);
    expect(again).toMatchObject({ status: 'success', events: [expect.objectContaining({ batchId: batch.batchId, root: batch.root, txHash: signed.hash })] });
    expect(await c.anchoredRoot(batch.batchId)).toBe(batch.root);
    expect(await c.broadcast(signed.raw)).toBe('nonce-used');
  });

  it('a pending transaction broadcast again is known, not an error', async () => {
    if (!anvil) await startAnvil();
    const node = createPublicClient({ transport: http(rpcUrl) });
    await node.request({ method: 'evm_setAutomine' as never, params: [false] as never });
    const dev = privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'); // anvil's well-known dev account 0
    const raw = await dev.signTransaction({
      chainId: 31337,
      nonce: await node.getTransactionCount({ address: dev.address, blockTag: 'pending' }),
      to: dev.address,
      data: stringToHex('x'),
      gas: 30000n,
      maxFeePerGas: 10n ** 11n,
      maxPriorityFeePerGas: 10n ** 9n,
    });
    const c = new AnchorChain({ rpcUrl, contract: dev.address });
    expect(await c.broadcast(raw)).toBe('accepted');
    expect(await c.broadcast(raw)).toBe('known');
    expect(await c.receipt(keccak256(raw))).toBeNull();
    await node.request({ method: 'evm_mine' as never });
    expect(await c.receipt(keccak256(raw))).toMatchObject({ status: 'success', events: [] });
  });
});
