import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { ConfigRepoWriter } from '../compose/config-repo-writer';
import { SAMPLE_CLUSTERS, sampleFleetFiles } from '../compose/sample-fleet';
import { runtimeEnv } from '../config/runtime-env';
import { readStackState } from '../services/stack/embedded-stack';
import { toolPaths } from '../services/stack/tool-paths';

/**
 * `npm start`: the embedded stack, a sample two-cluster config repo, and two
 * rollouts (v1, then v2) driven through the same CLI an operator uses.
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

async function reconcileAll(commit: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  const results = await Promise.all(
    SAMPLE_CLUSTERS.map((c) => cli(['cluster', 'reconcile', c.id, '--commit', commit, '--wait', '--json'], env)),
  );
  return results.map((r, i) => {
    if (r.code !== 0) throw new Error(`reconcile of ${SAMPLE_CLUSTERS[i]!.id} exited ${r.code}: ${r.stdout}`);
    return (JSON.parse(r.stdout) as { workflowId: string }).workflowId;
  });
}

async function main(): Promise<void> {
  const env = runtimeEnv();
  const repoDir = path.join(env.LUCID_DATA_DIR, 'demo', 'config.git');
  const repo = await ConfigRepoWriter.open(repoDir);
  const v1 = await repo.commit(sampleFleetFiles({ version: 'v1' }), 'demo: fleet on v1', { replaceAll: true });
  const childEnv = { ...process.env, LUCID_CONFIG_REPO: repoDir };

  const up = await cli(['dev', 'up', '--repo', repoDir], childEnv);
  if (up.code !== 0) throw new Error('lucid dev up failed');
  const ids1 = await reconcileAll(v1, childEnv);
  const v2 = await repo.commit(sampleFleetFiles({ version: 'v2' }), 'demo: fleet on v2');
  const ids2 = await reconcileAll(v2, childEnv);

  const state = readStackState(env.LUCID_DATA_DIR)!;
  const ui = state.temporalUi ? `${state.temporalUi}/namespaces/${state.namespace}/workflows` : '(external Temporal)';
  const out = [
    '',
    'Lucid demo: both clusters went v1 -> v2, healthy.',
    `  config repo       ${repoDir}  (v1 ${v1.slice(0, 12)}, v2 ${v2.slice(0, 12)})`,
    `  Temporal UI       ${ui}`,
    `  workflows         ${[...ids1, ...ids2].join('\n                    ')}`,
    '',
    'Inspect:',
    '  ./bin/lucid dev status',
    ...SAMPLE_CLUSTERS.map((c) => `  ./bin/lucid cluster status ${c.id} --json`),
    '  ./bin/lucid cluster list --json',
    `  ${toolPaths().temporal} workflow show --address ${state.temporalAddress} --namespace ${state.namespace} -w ${ids2[0]}`,
    '  docker ps --filter label=com.lucid.cluster',
    'Stop: ./bin/lucid dev down',
    '',
  ];
  process.stdout.write(out.join('\n'));
}

main().catch((err: Error) => {
  process.stderr.write(`demo: ${err.message}\n`);
  process.exit(1);
});
