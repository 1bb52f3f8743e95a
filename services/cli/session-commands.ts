import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { ChunkStore } from '../../activities/node/chunk-store';
import { nodeStorePaths } from '../../activities/node/node-activities';
import { SessionStore } from '../../activities/control/session-store';
import { nodeEnv, nodeKey } from '../../config/node-config';
import type { session } from '../../workflows';
import type { SessionManifest } from '../../workflows/session-types';
import { CONTROL_QUEUE, sessionWorkflowId } from '../../workflows/task-queues';
import type { ConsoleContext } from '../console-context';
import { readStackState } from '../stack/embedded-stack';
import { CliExit, EXIT, counted, printJson, say } from './cli-output';
import { ProgressBar } from './progress-bar';
import { exportSession, verifySession, type AuditDeps, type VerifyReport } from '../session-audit';

/** Exit code of a session that failed verification or export. */
export const SESSION_INTEGRITY_FAILED = 5;

/** The node key and chunk store a reader needs: the environment's, else what `lucid dev up` set up for the node. */
function auditDeps(ctx: ConsoleContext, sessions: SessionStore, nodeId: string): AuditDeps {
  const stack = readStackState(ctx.env.LUCID_DATA_DIR);
  const env = { LUCID_NODE_KEY_FILE: stack?.nodes?.[nodeId]?.keyFile, ...process.env };
  return {
    sessions,
    store: new ChunkStore(nodeStorePaths(ctx.env.LUCID_DATA_DIR, nodeId, nodeEnv(env).LUCID_CHUNK_STORE).store),
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
  const report = await fn(m, { ...auditDeps(ctx, sessions, m.nodeId), onChunk: (done) => bar.update(done) });
  if (json) printJson(report);
  if (report.ok) say(`session ${sessionId}: ${what} ok (${counted(report.chunks, 'chunk')}, ${report.bytes} bytes, root ${report.root})`);
  else say(`session ${sessionId}: ${what} FAILED: ${report.firstBad?.reason ?? 'the chunk list does not hash to the manifest root'}`);
  return report.ok ? EXIT.ok : SESSION_INTEGRITY_FAILED;
}

export function registerSessionCommands(program: Command, run: (fn: (ctx: ConsoleContext) => Promise<number>, json?: boolean) => void): void {
  const cmd = program.command('session').description('recorded sessions: record, verify, export, list');

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
        const sessionId = randomUUID();
        const client = await ctx.temporal();
        const handle = await client.workflow.start<typeof session>('session', {
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
    .option('--json', 'JSON on stdout')
    .action((sessionId: string, o: { json?: boolean }) =>
      run((ctx) => audit(ctx, sessionId, 'verify', verifySession, o.json), o.json),
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
        else for (const r of rows) say(`${r.sessionId}  node ${r.nodeId}  ${r.startedAt}  ${counted(r.chunks, 'chunk')}  ${r.bytes} bytes${r.cancelled ? '  (stopped)' : ''}`);
        return EXIT.ok;
      }, o.json),
    );
}
