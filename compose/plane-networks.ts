import { ConfigError } from '../config/config-error';
import { CONFIG_PATHS } from '../config/config-files';
import { BETA_SERVICE, PLANE_LABELS, PLANES, type Plane } from '../config/service-planes';
import { projectName } from './compose-labels';

type Service = Record<string, unknown> & { labels?: Record<string, string> };

/** The Docker network of one plane of one cluster. */
export function planeNetworkName(clusterId: string, plane: Plane): string {
  return `${projectName(clusterId)}_plane-${plane}`;
}

const networkKey = (plane: Plane) => `plane-${plane}`;

function planeOf(name: string, service: Service): Plane {
  const plane = service.labels?.[PLANE_LABELS.plane];
  if (!(PLANES as readonly (string | undefined)[]).includes(plane)) {
    throw new ConfigError(CONFIG_PATHS.compose, `services.${name}.labels.${PLANE_LABELS.plane}`, `resolves to '${plane}', not a plane`);
  }
  return plane as Plane;
}

/**
 * Puts each service of a resolved Compose model on its plane's network and
 * nothing else, beta on every plane, and replaces the model's networks with
 * the planes': internal (no route off the host), so services of two planes
 * share no network. A service with a `network_mode` joins no network of its
 * own (Compose refuses both); the runtime policy says who may have one.
 */
export function attachPlaneNetworks(
  clusterId: string,
  model: { services: Record<string, Service>; networks?: Record<string, unknown> },
): void {
  const used = new Set<Plane>();
  for (const [name, service] of Object.entries(model.services)) {
    if (service.network_mode !== undefined) {
      delete service.networks;
      continue;
    }
    const planes = name === BETA_SERVICE ? [...PLANES] : [planeOf(name, service)];
    service.networks = Object.fromEntries(planes.map((p) => [networkKey(p), null]));
    for (const p of planes) used.add(p);
  }
  model.networks = Object.fromEntries(
    PLANES.filter((p) => used.has(p)).map((p) => [
      networkKey(p),
      { name: planeNetworkName(clusterId, p), internal: true, labels: { [PLANE_LABELS.plane]: p } },
    ]),
  );
}
