import { ConfigError } from '../config/config-error';
import { CONFIG_PATHS } from '../config/config-files';
import { allowanceOf, type RuntimePolicy } from '../config/runtime-policy';
import { BETA_SERVICE, PLANE_LABELS, PLANES, type Plane } from '../config/service-planes';
import { projectName } from './compose-labels';

type Service = Record<string, unknown> & { labels?: Record<string, string> };

/** The Docker network of one plane of one cluster. */
export function planeNetworkName(clusterId: string, plane: Plane): string {
  return `${projectName(clusterId)}_plane-${plane}`;
}

const networkKey = (plane: Plane) => `plane-${plane}`;
const outsideKey = (service: string) => `outside-${service}`;

/** The Docker network, its service's alone, that reaches off the host. */
export function outsideNetworkName(clusterId: string, service: string): string {
  return `${projectName(clusterId)}_${outsideKey(service)}`;
}

/**
 * The services with a way off the host: the egress service (Tor must reach the
 * Tor network), those the runtime policy lets publish ports (Docker publishes
 * no port of a container on internal networks only), and those it lists in
 * `outside`.
 */
function outsideServices(policy: RuntimePolicy, names: string[]): Set<string> {
  return new Set(names.filter((n) => n === policy.egress || allowanceOf(policy, n, 'ports') === true || policy.outside.includes(n)));
}

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
 * share no network. A service that needs a way off the host (outsideServices)
 * also gets a network of its own that is not internal, shared with no other
 * service, so it bridges nothing. A service with a `network_mode` joins no
 * network of its own (Compose refuses both); the runtime policy says who may
 * have one.
 */
export function attachPlaneNetworks(
  clusterId: string,
  model: { services: Record<string, Service>; networks?: Record<string, unknown> },
  policy: RuntimePolicy,
): void {
  const used = new Set<Plane>();
  const outside = outsideServices(policy, Object.keys(model.services));
  const networks: Record<string, unknown> = {};
  for (const [name, service] of Object.entries(model.services)) {
    if (service.network_mode !== undefined) {
      delete service.networks;
      continue;
    }
    const planes = name === BETA_SERVICE ? [...PLANES] : [planeOf(name, service)];
    const joined: Record<string, null> = Object.fromEntries(planes.map((p) => [networkKey(p), null]));
    for (const p of planes) used.add(p);
    if (outside.has(name)) {
      joined[outsideKey(name)] = null;
      networks[outsideKey(name)] = { name: outsideNetworkName(clusterId, name), labels: { [PLANE_LABELS.service]: name } };
    }
    service.networks = joined;
  }
  model.networks = {
    ...Object.fromEntries(
      PLANES.filter((p) => used.has(p)).map((p) => [
        networkKey(p),
        { name: planeNetworkName(clusterId, p), internal: true, labels: { [PLANE_LABELS.plane]: p } },
      ]),
    ),
    ...networks,
  };
}
