import { checkAllowed, loadAllowlist } from './allowlist';
import { activeServices, loadComposeFile, type ComposeService } from './compose-file';
import { loadClusterEnv, type ClusterEnv } from './cluster-env';
import { findCluster, loadInventory, type ClusterSpec, type Inventory } from './inventory';

export interface ClusterConfig {
  cluster: ClusterSpec;
  env: ClusterEnv;
  services: ComposeService[];
}

export interface FleetConfig {
  inventory: Inventory;
  clusters: Map<string, ClusterConfig>;
}

/**
 * Validates the whole config repo at one commit. A commit is good or bad as a
 * whole, so one cluster's broken env file refuses the commit for every cluster.
 */
export function loadFleetConfig(treeDir: string): FleetConfig {
  const inventory = loadInventory(treeDir);
  const compose = loadComposeFile(treeDir);
  const allow = loadAllowlist(treeDir);
  const clusters = new Map<string, ClusterConfig>();
  inventory.clusters.forEach((cluster, i) => {
    const env = loadClusterEnv(treeDir, cluster);
    const services = activeServices(compose, cluster.profiles);
    checkAllowed(allow, cluster, i, services);
    clusters.set(cluster.id, { cluster, env, services });
  });
  return { inventory, clusters };
}

export function clusterConfigOf(fleet: FleetConfig, clusterId: string): ClusterConfig {
  return fleet.clusters.get(findCluster(fleet.inventory, clusterId).id)!;
}
