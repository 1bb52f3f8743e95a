import { DEFAULT_ALLOWLIST, DEFAULT_WAVES, GROUPS, PROFILES } from '../../config/fleet-taxonomy';

describe('fleet taxonomy', () => {
  it('lists the SPEC-3/SPEC-4 profiles and groups', () => {
    expect([...PROFILES]).toEqual(['blockchain', 'sessions', 'node', 'admin', 'observability', 'relay']);
    expect([...GROUPS]).toEqual(['blockchain', 'sessions', 'node', 'admin', 'observability', 'relay']);
  });

  it('has the default rollout waves in order', () => {
    expect([...DEFAULT_WAVES]).toEqual(['canary', 'core', 'edge', 'admin', 'obs']);
  });

  it('default allow-list: beta is common, every group has an entry running its own profile', () => {
    expect(DEFAULT_ALLOWLIST.common).toEqual(['beta']);
    expect(Object.keys(DEFAULT_ALLOWLIST.groups).sort()).toEqual([...GROUPS].sort());
    for (const g of GROUPS) {
      const rules = DEFAULT_ALLOWLIST.groups[g];
      expect(rules.profiles).toEqual([g]);
      expect(rules.services.length).toBeGreaterThan(0);
    }
  });

  it('default allow-list: no service belongs to two groups, none is common', () => {
    const all = GROUPS.flatMap((g) => DEFAULT_ALLOWLIST.groups[g].services);
    expect(new Set(all).size).toBe(all.length);
    expect(all).not.toContain('beta');
  });

  it('default allow-list: node and relay services', () => {
    expect(DEFAULT_ALLOWLIST.groups.node.services).toEqual(['node-worker', 'node-data-host', 'node-economy', 'node-governances']);
    expect(DEFAULT_ALLOWLIST.groups.relay.services).toEqual(['cloud-relay', 'mongos-onion']);
  });
});
