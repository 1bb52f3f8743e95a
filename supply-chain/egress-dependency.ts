import { ConfigError } from '../config/config-error';
import { CONFIG_PATHS } from '../config/config-files';
import type { RuntimePolicy } from '../config/runtime-policy';
import { isMapping, type ComposeServices } from './compose-model';

/**
 * SPEC-3 M7, fail closed: on a cluster that runs the egress service (`tor`
 * unless the runtime policy names another), that service has a healthcheck in
 * this file and every other service waits for it to be healthy, so Compose
 * starts no workload while Tor is down or unhealthy; `restart: true` makes
 * Compose stop and hold every workload again when a commit replaces Tor, which
 * otherwise leaves them running beside an unhealthy one. `active` are the
 * services the cluster runs.
 */
export function checkEgressDependency(policy: RuntimePolicy, services: ComposeServices, active: readonly string[], clusterId: string): void {
  const egress = policy.egress;
  if (!active.includes(egress)) return;
  const file = CONFIG_PATHS.compose;
  const check = services[egress]?.healthcheck;
  const test = isMapping(check) ? check.test : undefined;
  const none = Array.isArray(test) ? test[0] === 'NONE' : test === undefined || test === 'NONE';
  if (!isMapping(check) || check.disable === true || none) {
    throw new ConfigError(
      file,
      `services.${egress}.healthcheck`,
      `the egress service '${egress}' needs a healthcheck of its own in this file: every other service of cluster '${clusterId}' waits for it to be healthy`,
    );
  }
  for (const name of active) {
    if (name === egress) continue;
    const deps = services[name]?.depends_on;
    const dep = isMapping(deps) ? deps[egress] : undefined;
    if (isMapping(dep) && dep.condition === 'service_healthy' && dep.restart === true && dep.required !== false) continue;
    throw new ConfigError(
      file,
      `services.${name}.depends_on`,
      `must wait for the egress service: depends_on: {${egress}: {condition: service_healthy, restart: true}}, so nothing on cluster '${clusterId}' runs without its Tor egress`,
    );
  }
}
