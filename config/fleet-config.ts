import { checkAllowed, loadAllowlist } from './allowlist';
import { activeServices, checkDependencies, loadComposeFile, type ComposeService } from './compose-file';
import { loadClusterEnv, type ClusterEnv } from './cluster-env';
import { findCluster, loadInventory, type ClusterSpec, type Inventory } from './inventory';
import { loadLimits, type Limits } from './limits';
import { loadRuntimePolicy, type RuntimePolicy } from './runtime-policy';
import { readSecretsSources } from './secrets-file';

export interface ClusterConfig {
  cluster: ClusterSpec;
  env: ClusterEnv;
  services: ComposeService[];
}

export interface FleetConfig {
  inventory: Inventory;
  clusters: Map<string, ClusterConfig>;
  /** The commit's limits, for the files read after this (secrets, image policy). */
  limits: Limits;
  /** policies/runtime.yaml (or its safe default): the runtime gate judges the compose file by it. */
  runtime: RuntimePolicy;
}

/**
 * Validates the whole config repo at one commit. A commit is good or bad as a
 * whole, so one cluster's broken env file refuses the commit for every cluster.
 */
export function loadFleetConfig(treeDir: string, limits: Limits = loadLimits(treeDir)): FleetConfig {
  const inventory = loadInventory(treeDir, limits);
  const runtime = loadRuntimePolicy(treeDir, limits);
  const compose = loadComposeFile(treeDir, limits, runtime.walletPlane);
  const allow = loadAllowlist(treeDir, limits);
  const clusters = new Map<string, ClusterConfig>();
  inventory.clusters.forEach((cluster, i) => {
    const env = loadClusterEnv(treeDir, cluster, limits);
    const services = activeServices(compose, cluster.profiles);
    checkAllowed(allow, cluster, i, services);
    checkDependencies(services, cluster.id, cluster.profiles);
    // Only the cluster can decrypt it, but its size and count are refused here, on the console as on every cluster.
    readSecretsSources(treeDir, cluster.id, limits);
    clusters.set(cluster.id, { cluster, env, services });
  });
  return { inventory, clusters, limits, runtime };
}

export function clusterConfigOf(fleet: FleetConfig, clusterId: string): ClusterConfig {
  return fleet.clusters.get(findCluster(fleet.inventory, clusterId).id)!;
}
