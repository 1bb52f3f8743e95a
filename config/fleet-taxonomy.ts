/** Domain groups and Compose profiles of SPEC-3/SPEC-4, the vocabulary the config repo is checked against. */
export const PROFILES = ['blockchain', 'sessions', 'node', 'admin', 'observability', 'relay'] as const;
export type Profile = (typeof PROFILES)[number];

export const GROUPS = ['blockchain', 'sessions', 'node', 'admin', 'observability', 'relay'] as const;
export type Group = (typeof GROUPS)[number];

export const DEFAULT_WAVES = ['canary', 'core', 'edge', 'admin', 'obs'] as const;

/** Used when the config repo has no policies/allowlist.yaml: the SPEC-4 cluster taxonomy. */
export const DEFAULT_ALLOWLIST = {
  common: ['beta'],
  groups: {
    blockchain: {
      profiles: ['blockchain'],
      services: [
        'blockchain-core',
        'blockchain-ledger',
        'blockchain-virtual-machine',
        'blockchain-sessions-data',
        'blockchain-governances',
      ],
    },
    sessions: { profiles: ['sessions'], services: ['sessions-gateway', 'sessions-manifests', 'sessions-index'] },
    node: { profiles: ['node'], services: ['node-worker', 'node-data-host', 'node-economy', 'node-governances'] },
    admin: { profiles: ['admin'], services: ['admin-api', 'admin-ui', 'walletd', 'tron-node', 'observer'] },
    observability: { profiles: ['observability'], services: ['metrics', 'logs', 'anomaly'] },
    relay: { profiles: ['relay'], services: ['cloud-relay', 'mongos-onion'] },
  },
} satisfies { common: string[]; groups: Record<Group, { profiles: Profile[]; services: string[] }> };
