import type Docker from 'dockerode';
import { PLANE_LABELS, PLANES, parseExpose, type Plane } from '../config/service-planes';
import type { PlaneProbeReport } from '../workflows/reconcile-types';
import { BUSYBOX_IMAGE } from './busybox-image';
import { projectName } from './compose-labels';
import { listProjectContainers } from './container-state';
import { planeNetworkName } from './plane-networks';
import { planeFindings, probeSources, probeTargets, type ProbeMember, type ProbeOutcome, type ProbeTarget } from './plane-probe-plan';

/** The probe needs a shell and `nc`, nothing from the service images: the busybox rootfs. */
export const PROBE_IMAGE = BUSYBOX_IMAGE;
const PROBE_LABEL = 'com.lucid.plane-probe';
const CONNECT_TIMEOUT_SECONDS = 1;
const PARALLEL_SOURCES = 4;
const MISS_ATTEMPTS = 3;
const MISS_RETRY_MS = 2000;

/**
 * Tries every target at once, one TCP connect each; prints "reach N" or
 * "blocked N" for target N. Targets come as arguments, never as script text.
 */
const PROBE_SCRIPT = `t=$1; shift
n=0
while [ $# -ge 2 ]; do
  ( if nc -w "$t" "$1" "$2" -e true >/dev/null 2>&1; then echo "reach $n"; else echo "blocked $n"; fi ) &
  n=$((n+1)); shift 2
done
wait`;

async function members(docker: Docker, clusterId: string): Promise<ProbeMember[]> {
  const networks = new Map<string, Plane>(PLANES.map((p) => [planeNetworkName(clusterId, p), p]));
  const running = (await listProjectContainers(docker, clusterId)).filter((c) => c.status.state === 'running');
  return Promise.all(
    running.map(async (c): Promise<ProbeMember> => {
      const info = await docker.getContainer(c.id).inspect();
      const labels = info.Config.Labels ?? {};
      const addresses: Partial<Record<Plane, string>> = {};
      for (const [name, endpoint] of Object.entries(info.NetworkSettings.Networks ?? {})) {
        const plane = networks.get(name);
        if (plane && endpoint.IPAddress) addresses[plane] = endpoint.IPAddress;
      }
      return {
        service: c.service,
        containerId: c.id,
        // The gates refused any other value before this commit was rendered.
        plane: labels[PLANE_LABELS.plane] as Plane,
        expose: parseExpose(labels[PLANE_LABELS.expose] ?? '') ?? [],
        addresses,
      };
    }),
  );
}

/** Runs the probe inside `from`'s network namespace: exactly what that service can reach. */
async function probeFrom(docker: Docker, clusterId: string, from: ProbeMember, targets: ProbeTarget[]): Promise<ProbeOutcome[]> {
  const name = `${projectName(clusterId)}-plane-probe-${from.service}`;
  // A probe of an attempt that died halfway would hold the name.
  await docker.getContainer(name).remove({ force: true }).catch(() => undefined);
  const container = await docker.createContainer({
    name,
    Image: PROBE_IMAGE,
    Cmd: ['sh', '-c', PROBE_SCRIPT, 'plane-probe', String(CONNECT_TIMEOUT_SECONDS), ...targets.flatMap((t) => [t.address, String(t.port)])],
    Tty: true,
    User: '65534:65534',
    Labels: { [PROBE_LABEL]: clusterId },
    HostConfig: {
      NetworkMode: `container:${from.containerId}`,
      ReadonlyRootfs: true,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
    },
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const output = (await container.logs({ stdout: true, stderr: true })).toString('utf8');
    const seen = new Map<number, boolean>();
    for (const m of output.matchAll(/^(reach|blocked) (\d+)\s*$/gm)) seen.set(Number(m[2]), m[1] === 'reach');
    if (StatusCode !== 0 || seen.size !== targets.length) {
      // Fail closed: a probe that did not answer for every target verifies nothing.
      throw new Error(`plane probe from ${from.service} exited ${StatusCode} with ${seen.size}/${targets.length} answers: ${output.slice(0, 300)}`);
    }
    return targets.map((target, i) => ({ from, target, reached: seen.get(i)! }));
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

/**
 * SPEC-4's "wallet plane isolation verified", on the running cluster: from
 * each service's own network namespace, TCP connects to every port its plane
 * serves (must answer) and to every other plane's (must not).
 */
export async function probePlanes(docker: Docker, clusterId: string, opts: { waitOutMisses?: boolean } = {}): Promise<PlaneProbeReport> {
  const attempts = opts.waitOutMisses === false ? 1 : MISS_ATTEMPTS;
  let probe = await probeOnce(docker, clusterId);
  // A connect that succeeds is a leak for sure; a miss may be a service without a healthcheck still binding its port.
  for (let attempt = 1; attempt < attempts && !probe.verified && !probe.leaked; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, MISS_RETRY_MS));
    probe = await probeOnce(docker, clusterId);
  }
  return probe;
}

async function probeOnce(docker: Docker, clusterId: string): Promise<PlaneProbeReport> {
  const all = await members(docker, clusterId);
  const runs = probeSources(all)
    .map((from) => ({ from, targets: probeTargets(from, all) }))
    .filter((r) => r.targets.length > 0);
  const outcomes: ProbeOutcome[] = [];
  for (let i = 0; i < runs.length; i += PARALLEL_SOURCES) {
    const batch = await Promise.all(runs.slice(i, i + PARALLEL_SOURCES).map((r) => probeFrom(docker, clusterId, r.from, r.targets)));
    outcomes.push(...batch.flat());
  }
  const findings = planeFindings(outcomes);
  const broken = outcomes.filter((o) => o.reached !== (o.target.expect === 'reach'));
  const first = broken.find((o) => o.reached) ?? broken[0];
  return {
    verified: findings.length === 0,
    findings,
    service: first?.from.service,
    probes: outcomes.length,
    leaked: broken.some((o) => o.reached),
    running: all.map((m) => m.service).sort(),
  };
}
