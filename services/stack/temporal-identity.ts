import { Connection } from '@temporalio/client';
import { describeTls, type TemporalConnectionOptions } from '../../config/temporal-connection';

/**
 * What a Temporal frontend says it is: its release (GetSystemInfo) and its stores (GetClusterInfo), with how
 * this client reaches it; `lucid dev status` shows it so an operator sees which engine the fleet runs on.
 */
export async function describeTemporal(options: TemporalConnectionOptions): Promise<string> {
  const tls = `TLS ${describeTls(options)}`;
  const conn = await Connection.connect({ ...options, connectTimeout: 2000 }).catch((err: Error) => err);
  if (conn instanceof Error) return `${tls}; unreachable: ${conn.message.split('\n')[0]}`;
  try {
    const [system, cluster] = await Promise.all([conn.workflowService.getSystemInfo({}), conn.workflowService.getClusterInfo({})]);
    const stores = cluster.persistenceStore === cluster.visibilityStore ? cluster.persistenceStore : `${cluster.persistenceStore}, visibility ${cluster.visibilityStore}`;
    return `server ${system.serverVersion || cluster.serverVersion}, persistence ${stores}, ${tls}`;
  } catch (err) {
    return `${tls}; ${(err as Error).message.split('\n')[0]}`;
  } finally {
    await conn.close();
  }
}
