import * as path from 'node:path';
import type Docker from 'dockerode';
import { ensureBusyboxImage } from './busybox-image';
import type { ClusterEngine } from './cluster-engine';
import { runCompose } from './compose-cli';
import { projectName } from './compose-labels';
import { listProjectContainers } from './container-state';
import { waitHealthy } from './health-wait';
import { probePlanes } from './plane-probe';

/** The real engine: the cluster's Compose project on its Docker socket. */
export function composeEngine(opts: { docker: Docker; clusterId: string; pull?: 'missing' | 'never' }): ClusterEngine {
  const { docker, clusterId } = opts;
  const project = projectName(clusterId);
  return {
    async resolveProject(src) {
      const args = ['-p', project, '-f', src.composeFile, '--env-file', src.envFile, ...src.profiles.flatMap((p) => ['--profile', p])];
      const { stdout } = await runCompose([...args, 'config', '--format', 'json'], { cwd: src.cwd });
      return stdout;
    },

    async up(renderedFile, { onTick, signal }) {
      const pull = opts.pull === 'never' ? ['--pull', 'never'] : [];
      await runCompose(['-p', project, '-f', renderedFile, 'up', '-d', '--remove-orphans', '--quiet-pull', ...pull], {
        cwd: path.dirname(renderedFile),
        onTick,
        signal,
      });
    },

    async services() {
      return (await listProjectContainers(docker, clusterId)).map((c) => c.status);
    },

    waitHealthy(services, timeoutMs, onPoll) {
      return waitHealthy({ docker, clusterId, services, timeoutMs, onPoll });
    },

    async probePlanes(probeOpts) {
      await ensureBusyboxImage(docker);
      return probePlanes(docker, clusterId, probeOpts);
    },

    async down() {
      await runCompose(['-p', project, 'down', '-v', '--timeout', '1']);
    },
  };
}
