/**
 * The Temporal server settings a fleet needs, for the embedded dev server and
 * the embedded production server alike. Every Pi long-polls its own task
 * queue `cluster-<id>` in the one namespace, so a fleet of a thousand is a
 * thousand queues with ten polls each; the defaults suit a few queues with
 * many pollers. Measured with 1,000 idle cluster workers on the dev server
 * (2 cores): with the defaults,
 * 24 CPU s to bring them up and "namespace rate limit exceeded" from matching on
 * 5,691 polls; with these, 7.6 CPU s and none.
 */
export const FLEET_DYNAMIC_CONFIG: Readonly<Record<string, number>> = Object.freeze({
  // Concurrent long polls per namespace and API: the default 1,200 stops a fleet of a few hundred Pis; 10,000 hold
  // 100,000 (CLUSTER_ACTIVITY_POLLERS each), and a poll abandoned by its client counts until the server lets it go.
  'frontend.namespaceCount': 150000,
  // One partition per queue: with the default four, a queue's single poller waits on one partition while its task
  // lands on another until matching forwards it, and every queue costs four times the matching work.
  'matching.numTaskqueueReadPartitions': 1,
  'matching.numTaskqueueWritePartitions': 1,
  // Request rates per host (defaults 2,400 frontend, 1,200 matching): a thousand Pis' polls, completions and
  // heartbeats at a wave's start exceed them, and every refused call comes back as a retry.
  'frontend.rps': 50000,
  'frontend.namespaceRPS': 50000,
  'matching.rps': 50000,
});

/** As the dev server's `--dynamic-config-value KEY=VALUE` flags. */
export function devServerFlags(config: Readonly<Record<string, number>> = FLEET_DYNAMIC_CONFIG): string[] {
  return Object.entries(config).flatMap(([k, v]) => ['--dynamic-config-value', `${k}=${v}`]);
}
