import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import Docker from 'dockerode';
import { ConfigRepoWriter } from '../demo/config-repo-writer';
import { releaseDemoImages } from '../demo/demo-images';
import { gitSigningKey } from '../demo/git-signing-key';
import { generateReleaseKey } from '../demo/image-release';
import { SAMPLE_CLUSTERS, sampleFleetFiles } from '../demo/sample-fleet';
import { runtimeEnv } from '../config/runtime-env';
import { counted } from '../services/cli/cli-output';
import { addOperator, operatorsFile } from '../services/console/operator-accounts';
import { DEV_NODE } from '../services/cli/dev-commands';
import { CONSOLE_PORT } from '../services/stack/embedded-stack';
import { readStackState } from '../services/stack/stack-state';
import type { SessionManifest, SessionResult } from '../workflows/session-types';
import { toolPaths } from '../services/stack/tool-paths';

/**
 * `npm start`: the embedded stack, a sample two-cluster config repo (waves
 * canary and core), and two rollouts (v1, then v2) driven through the same CLI
 * an operator uses.
 */
const lucid = toolPaths().lucidCli;

function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [lucid, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout }));
  });
}

async function rollOut(commit: string, env: NodeJS.ProcessEnv): Promise<string> {
  const r = await cli(['rollout', 'start', '--commit', commit, '--wait', '--json'], env);
  const status = JSON.parse(r.stdout) as { state: string };
  if (r.code !== 0) throw new Error(`rollout of ${commit} ended ${status.state} (exit ${r.code})`);
  return `rollout-${commit}`;
}

/** Waits for the session's root to be anchored by the stack's batcher and chain worker. */
async function anchoredOf(sessionId: string, env: NodeJS.ProcessEnv): Promise<NonNullable<SessionListRow['anchored']>> {
  for (let i = 0; i < 120; i++) {
    const rows = JSON.parse((await cli(['session', 'list', '--json'], env)).stdout) as SessionListRow[];
    const anchored = rows.find((r) => r.sessionId === sessionId)?.anchored;
    if (anchored) return anchored;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`session ${sessionId} was not anchored within 60 s (see ./bin/lucid anchor status)`);
}

type SessionListRow = Pick<SessionManifest, 'sessionId' | 'anchored'>;

async function main(): Promise<void> {
  const env = runtimeEnv();
  const repoDir = path.join(env.LUCID_DATA_DIR, 'demo', 'config.git');
  const repo = await ConfigRepoWriter.open(repoDir);
  // The demo's session is anchored in a batch that closes five seconds after it (30 s by default).
  // A webhook secret makes `dev up` start `lucid serve`, which serves the console too.
  const childEnv = {
    LUCID_ANCHOR_MAX_WAIT_SECONDS: '5',
    LUCID_WEBHOOK_SECRET: randomBytes(32).toString('hex'),
    ...process.env,
    LUCID_CONFIG_REPO: repoDir,
  };
  // The demo's operator, a new password each run: only its scrypt hash is stored; the password is printed below.
  const demoPassword = randomBytes(15).toString('base64url');
  await addOperator(operatorsFile(env.LUCID_DATA_DIR), { name: 'demo', role: 'approver' }, demoPassword);

  // Servers and the registry first: the images must be in it, signed, before a commit can pin them.
  const { LUCID_CONFIG_REPO: _none, ...serversEnv } = process.env;
  if ((await cli(['dev', 'up'], serversEnv)).code !== 0) throw new Error('lucid dev up failed');
  const { registry } = readStackState(env.LUCID_DATA_DIR)!;
  const key = await generateReleaseKey(path.join(env.LUCID_DATA_DIR, 'demo', 'release-key'), 'release');
  const images = await releaseDemoImages(new Docker(), registry, key);
  // Every gate on, none opted out: commits signed by the demo operator's SSH key, images pinned, signed, attested.
  const operator = gitSigningKey(path.join(env.LUCID_DATA_DIR, 'demo', 'git-signing-key'), 'operator@lucid.invalid');
  const fleet = (version: string) =>
    sampleFleetFiles({
      version,
      images,
      allowedSigners: [operator.allowedSigner],
      imagePolicy: { registries: [registry], signers: [{ name: key.name, publicKey: key.publicKey }], budget: { critical: 0, high: 0 } },
    });
  const signed = { signingKey: operator.keyFile };
  const v1 = await repo.commit(fleet('v1'), 'demo: fleet on v1', { replaceAll: true, ...signed });

  const up = await cli(['dev', 'up', '--repo', repoDir], childEnv);
  if (up.code !== 0) throw new Error('lucid dev up failed');
  const id1 = await rollOut(v1, childEnv);
  const v2 = await repo.commit(fleet('v2'), 'demo: fleet on v2', signed);
  const id2 = await rollOut(v2, childEnv);

  const rec = await cli(['session', 'record', '--node', DEV_NODE, '--seconds', '3', '--json'], childEnv);
  if (rec.code !== 0) throw new Error(`session record exited ${rec.code}`);
  const recorded = JSON.parse(rec.stdout) as SessionResult;
  const anchored = await anchoredOf(recorded.sessionId, childEnv);

  const state = readStackState(env.LUCID_DATA_DIR)!;
  const ui = state.temporalUi ? `${state.temporalUi}/namespaces/${state.namespace}/workflows` : '(external Temporal)';
  const out = [
    '',
    'Lucid demo: the fleet was rolled out to v1, then to v2, wave by wave (canary bc-a, then core ss-a), healthy.',
    'Every image is pinned by digest, pulled from the local registry, cosign-signed and attested (policies/images.yaml);',
    'every commit is SSH-signed by a key in policies/allowed-signers; no gate is opted out (no policies/lucid.yaml).',
    `  config repo       ${repoDir}  (v1 ${v1.slice(0, 12)}, v2 ${v2.slice(0, 12)})`,
    `  registry          http://${registry}/v2/lucid/demo-app/tags/list`,
    `  images            ${images.v2}`,
    `  console           http://127.0.0.1:${CONSOLE_PORT}/  sign in as demo, password ${demoPassword} (role approver)`,
    `  Temporal UI       ${ui}`,
    `  rollouts          ${id1}\n                    ${id2}`,
    '                    (each wave a rolloutWave child, its clusters in rolloutBatch children: one applyCommit activity per cluster)',
    `  session           session-${recorded.sessionId}: 3 s of a virtual display recorded on ${DEV_NODE},`,
    `                    ${counted(recorded.chunks, 'sealed chunk')}, Merkle root ${recorded.root.slice(0, 16)}…`,
    `  anchored          batch ${anchored.batchId.slice(0, 18)}… in tx ${anchored.txHash.slice(0, 18)}…, block ${anchored.blockNumber}`,
    `                    on ${state.chain?.rpc ?? 'the chain'} (LucidAnchor ${state.chain?.contract ?? '?'})`,
    '',
    'Inspect:',
    `  the console: http://127.0.0.1:${CONSOLE_PORT}/ (fleet), /rollouts/${v2} (the v2 rollout), /api/fleet (JSON)`,
    '  ./bin/lucid dev status',
    `  ./bin/lucid rollout status ${v2.slice(0, 12)}`,
    `  ./bin/lucid rollout history ${v2.slice(0, 12)}`,
    `  ./bin/lucid policy check --commit ${v2.slice(0, 12)} --json`,
    ...SAMPLE_CLUSTERS.map((c) => `  ./bin/lucid cluster status ${c.id} --json`),
    '  ./bin/lucid cluster list --json',
    `  ${toolPaths().temporal} workflow show --address ${state.temporalAddress} --namespace ${state.namespace} -w ${id2}`,
    `  ${toolPaths().temporal} workflow list --address ${state.temporalAddress} --namespace ${state.namespace} --query "LucidCommit='${v2}'"`,
    '  docker ps --filter label=com.lucid.cluster',
    `  ./bin/lucid session verify ${recorded.sessionId}`,
    `  ./bin/lucid session export ${recorded.sessionId} -o session.ts && ffprobe session.ts`,
    '  ./bin/lucid session list',
    `  ./bin/lucid session proof ${recorded.sessionId} -o proof.json && ./bin/lucid proof verify proof.json --rpc ${state.chain?.rpc ?? '<rpc>'}`,
    `  ./bin/lucid session verify ${recorded.sessionId} --anchored`,
    '  ./bin/lucid anchor status',
    'Stop: ./bin/lucid dev down',
    '',
  ];
  process.stdout.write(out.join('\n'));
}

main().catch((err: Error) => {
  process.stderr.write(`demo: ${err.message}\n`);
  process.exit(1);
});
