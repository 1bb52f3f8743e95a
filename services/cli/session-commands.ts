import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { verifyProofOnChain } from '../../anchoring/proof-document';
import { AnchorStore } from '../../stores/anchor-store';
import { sessionProofDocument } from '../session-proof';
import type { Command } from 'commander';
import { ChunkStore } from '../../sessions/chunk-store';
import { ChunkBucket } from '../../sessions/chunk-bucket';
import { s3Target } from '../../config/s3-config';
import { chunkHostKey } from '../../config/peer-config';
import { replicaName, type SessionReplica } from '../../workflows/replication-types';
import { objectStoreEnv } from '../stack/object-store';
import { nodeStorePaths } from '../../sessions/node-store-paths';
import { SessionStore } from '../../stores/session-store';
import { nodeEnv, nodeKey } from '../../config/node-config';
import { session } from '../../workflows/session';
import type { SessionManifest } from '../../workflows/session-types';
import { CONTROL_QUEUE, nodeQueue, sessionWorkflowId } from '../../workflows/task-queues';
import type { ConsoleContext } from '../console-context';
import { queueHasWorker } from '../queue-workers';
import { readStackState } from '../stack/stack-state';
import { CliExit, EXIT, counted, printJson, say } from './cli-output';
import { ProgressBar } from './progress-bar';
import { exportSession, verifySession, type AuditDeps, type VerifyReport } from '../session-audit';
import { COMMAND_INDEX } from './command-index';

/** Exit code of a session that failed verification or export. */
export const SESSION_INTEGRITY_FAILED = 5;

/**
 * The node key, chunk store and object store a reader needs: the environment's, else what `lucid dev up` set up
 * for the node; and the chunk-host key (LUCID_CHUNK_HOST_KEY_FILE) that reads the copies peers hold.
 */
function auditDeps(ctx: ConsoleContext, sessions: SessionStore, nodeId: string): AuditDeps {
  const stack = readStackState(ctx.env.LUCID_DATA_DIR);
  const objectStore = stack?.objectStore?.embedded ? objectStoreEnv(stack.objectStore) : {};
  const env = { LUCID_NODE_KEY_FILE: stack?.nodes?.[nodeId]?.keyFile, ...objectStore, ...process.env };
  const target = s3Target(env);
  const peerKey = chunkHostKey(env);
  return {
    sessions,
    store: new ChunkStore(nodeStorePaths(ctx.env.LUCID_DATA_DIR, nodeId, nodeEnv(env).LUCID_CHUNK_STORE).store),
    ...(target && { bucket: new ChunkBucket(target) }),
    ...(peerKey && { peerKey }),
    nodeKey: nodeKey(env),
  };
}

/** Verify and export: the same reading of every chunk, with a progress bar and one exit code for a bad session. */
async function audit(
  ctx: ConsoleContext,
  sessionId: string,
  what: 'verify' | 'export',
  fn: (m: SessionManifest, deps: AuditDeps) => Promise<VerifyReport>,
  json?: boolean,
): Promise<number> {
  const sessions = new SessionStore(await ctx.db());
  const m = await sessions.get(sessionId);
  if (!m) throw new CliExit(EXIT.badInput, `no session '${sessionId}' (see lucid session list)`);
  const bar = new ProgressBar(what, m.chunks.length);
  const deps = auditDeps(ctx, sessions, m.nodeId);
  const report = await fn(m, { ...deps, onChunk: (done) => bar.update(done) }).finally(() => deps.bucket?.close());
  if (json) printJson(report);
  const copies = Object.entries(report.readFrom);
  if (copies.length > 0) say(`session ${sessionId}: read ${copies.map(([from, n]) => `${counted(n, 'chunk')} from ${from}`).join(', ')}`);
  if (report.ok) say(`session ${sessionId}: ${what} ok (${counted(report.chunks, 'chunk')}, ${report.bytes} bytes, root ${report.root})`);
  else say(`session ${sessionId}: ${what} FAILED: ${report.firstBad?.reason ?? 'the chunk list does not hash to the manifest root'}`);
  return report.ok ? EXIT.ok : SESSION_INTEGRITY_FAILED;
}

/** The node's own copy and each replica: `node, s3://lucid-chunks at http://127.0.0.1:9000 (12/12), peer n-b at http://… (12/12)`. */
function copiesOf(r: { chunks: number; replicas: SessionReplica[] }): string {
  return ['node', ...r.replicas.map((c) => `${replicaName(c)} (${c.chunks}/${r.chunks})`)].join(', ');
}

/** Nodes this console has heard of: the embedded stack's and those that recorded sessions. */
async function knownNodes(ctx: ConsoleContext): Promise<string[]> {
  const fromStack = Object.keys(readStackState(ctx.env.LUCID_DATA_DIR)?.nodes ?? {});
  const fromSessions = (await new SessionStore(await ctx.db()).list()).map((s) => s.nodeId);
  return [...new Set([...fromStack, ...fromSessions])].sort();
}

export function registerSessionCommands(program: Command, run: (fn: (ctx: ConsoleContext) => Promise<number>, json?: boolean) => void): void {
  const cmd = program.command('session').description(COMMAND_INDEX.session.description);

  cmd
    .command('record')
    .description('record a session on a node for N seconds (workflow session-<id>)')
    .requiredOption('--node <id>', 'node id (task queue node-<id>)')
    .requiredOption('--seconds <n>', 'duration limit')
    .option('--json', 'JSON on stdout: {sessionId, chunks, bytes, root}')
    .action((o: { node: string; seconds: string; json?: boolean }) =>
      run(async (ctx) => {
        const seconds = Number(o.seconds);
        if (!Number.isFinite(seconds) || seconds <= 0) throw new CliExit(EXIT.badInput, `--seconds: '${o.seconds}' is not a positive number`);
        const client = await ctx.temporal();
        if (!(await queueHasWorker(client, nodeQueue(o.node)))) {
          const known = await knownNodes(ctx);
          const alive = [];
          for (const id of known) if (await queueHasWorker(client, nodeQueue(id))) alive.push(id);
          throw new CliExit(
            EXIT.badInput,
            `no worker serves node '${o.node}' (task queue ${nodeQueue(o.node)}); nodes with a worker now: ${alive.join(', ') || 'none'}`,
          );
        }
        const sessionId = randomUUID();
        const handle = await client.workflow.start(session, {
          taskQueue: CONTROL_QUEUE,
          workflowId: sessionWorkflowId(sessionId),
          args: [{ sessionId, nodeId: o.node, seconds }],
        });
        say(`recording ${handle.workflowId} on node ${o.node}`);
        const bar = new ProgressBar('record', seconds);
        const started = Date.now();
        const ticker = setInterval(() => bar.update((Date.now() - started) / 1000, `${Math.floor((Date.now() - started) / 1000)}s`), 500);
        const result = await handle.result().finally(() => clearInterval(ticker));
        bar.finish(`${counted(result.chunks, 'chunk')}, ${result.bytes} bytes`);
        if (o.json) printJson(result);
        else say(`session ${sessionId}: ${counted(result.chunks, 'chunk')}, ${result.bytes} bytes, root ${result.root}`);
        return EXIT.ok;
      }, o.json),
    );

  cmd
    .command('verify <sessionId>')
    .description('check every leaf, the root, and that every chunk decrypts; names the first bad chunk')
    .option('--anchored', "also check the session's anchor against the chain itself (the event, the root, confirmations)")
    .option('--confirmations <n>', 'with --anchored: confirmations the anchor needs', '1')
    .option('--json', 'JSON on stdout')
    .action((sessionId: string, o: { json?: boolean; anchored?: boolean; confirmations: string }) =>
      run(async (ctx) => {
        const code = await audit(ctx, sessionId, 'verify', verifySession, o.json && !o.anchored);
        if (!o.anchored || code !== EXIT.ok) return code;
        const db = await ctx.db();
        const doc = await sessionProofDocument({ anchors: new AnchorStore(db), sessions: new SessionStore(db) }, sessionId).catch((err: Error) => {
          throw new CliExit(SESSION_INTEGRITY_FAILED, err.message);
        });
        const verdict = await verifyProofOnChain(doc, ctx.chainEndpoint().rpcUrl, Number(o.confirmations));
        if (o.json) printJson(verdict);
        say(verdict.ok
          ? `session ${sessionId}: anchored in batch ${doc.batch.id} (tx ${doc.anchor.txHash}, block ${doc.anchor.blockNumber}), checked against the chain`
          : `session ${sessionId}: anchor check FAILED: ${verdict.failure}`);
        return verdict.ok ? EXIT.ok : SESSION_INTEGRITY_FAILED;
      }, o.json),
    );

  cmd
    .command('proof <sessionId>')
    .description('a self-contained proof document: the session root in its anchored batch (and with --chunk, a chunk in the session)')
    .option('--chunk <n>', 'extend the proof down to chunk n')
    .option('-o, --output <file>', 'write the document to a file instead of stdout')
    .option('--json', 'JSON on stdout (the document itself)')
    .action((sessionId: string, o: { chunk?: string; output?: string; json?: boolean }) =>
      run(async (ctx) => {
        const chunk = o.chunk === undefined ? undefined : Number(o.chunk);
        if (chunk !== undefined && (!Number.isInteger(chunk) || chunk < 0)) throw new CliExit(EXIT.badInput, `--chunk: '${o.chunk}' is not a chunk index`);
        const db = await ctx.db();
        const stores = { anchors: new AnchorStore(db), sessions: new SessionStore(db) };
        const doc = await sessionProofDocument(stores, sessionId, chunk).catch((err: Error) => {
          throw new CliExit(EXIT.badInput, err.message);
        });
        const text = `${JSON.stringify(doc, null, 2)}\n`;
        if (o.output) fs.writeFileSync(o.output, text);
        else process.stdout.write(text);
        say(`session ${sessionId}: batch ${doc.batch.id}, tx ${doc.anchor.txHash}, block ${doc.anchor.blockNumber}${doc.chunk ? `, chunk ${doc.chunk.index}` : ''}`);
        say(`check it: lucid proof verify ${o.output ?? '<file>'} --rpc <EVM RPC URL>`);
        return EXIT.ok;
      }, o.json),
    );

  cmd
    .command('export <sessionId>')
    .description('decrypt, decompress and reassemble the recorded media; refuses at the first bad chunk')
    .requiredOption('-o, --output <file>', 'output file (MPEG-TS)')
    .option('--json', 'JSON on stdout')
    .action((sessionId: string, o: { output: string; json?: boolean }) =>
      run((ctx) => audit(ctx, sessionId, 'export', (m, deps) => exportSession(m, o.output, deps), o.json), o.json),
    );

  cmd
    .command('list')
    .description('recorded sessions, newest first')
    .option('--json', 'JSON on stdout')
    .action((o: { json?: boolean }) =>
      run(async (ctx) => {
        const rows = await new SessionStore(await ctx.db()).list();
        if (o.json) printJson(rows);
        else for (const r of rows) say(`${r.sessionId}  node ${r.nodeId}  ${r.startedAt}  ${counted(r.chunks, 'chunk')}  ${r.bytes} bytes${r.cancelled ? '  (stopped)' : ''}${r.anchored ? `  anchored tx ${r.anchored.txHash.slice(0, 12)}` : ''}  copies: ${copiesOf(r)}`);
        return EXIT.ok;
      }, o.json),
    );
}
