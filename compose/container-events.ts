import type Docker from 'dockerode';
import { LABELS, projectName } from './compose-labels';

/** Waits for a change in a project's containers, or for `ms` to pass, whichever comes first. */
export interface ProjectChanges {
  next(ms: number): Promise<void>;
  close(): void;
}

/**
 * The Docker events of one cluster's Compose project whose action starts with one of `actions`
 * (`health_status: healthy` starts with `health_status`). Events arriving between two waits are
 * not lost: the next wait returns at once. Without an event stream (an engine that refuses it)
 * every wait is a plain timer, so a caller that polls on `next` still converges.
 */
export async function watchProject(docker: Docker, clusterId: string, actions: readonly string[]): Promise<ProjectChanges> {
  const abort = new AbortController();
  let pending = false;
  let wake: (() => void) | undefined;
  const stream = await docker
    .getEvents({
      filters: { type: ['container'], label: [`${LABELS.composeProject}=${projectName(clusterId)}`], event: [...actions] },
      abortSignal: abort.signal,
    })
    .catch(() => undefined);
  let buffered = '';
  stream?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      if (!actions.some((a) => actionOf(line).startsWith(a))) continue;
      pending = true;
      wake?.();
    }
  });
  // Aborting ends the stream with an error; a broken stream only means waits fall back to their timers.
  stream?.on('error', () => undefined);
  return {
    async next(ms) {
      if (!pending) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, ms);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      wake = undefined;
      pending = false;
    },
    close: () => abort.abort(),
  };
}

function actionOf(line: string): string {
  try {
    return (JSON.parse(line) as { Action?: string }).Action ?? '';
  } catch {
    return '';
  }
}
