import { checkAllowed, loadAllowlist, type Allowlist } from '../../config/allowlist';
import type { ComposeService } from '../../config/compose-file';
import { DEFAULT_ALLOWLIST } from '../../config/fleet-taxonomy';
import type { ClusterSpec } from '../../config/inventory';
import { ALLOWLIST_FILE, COMPOSE_FILE, INVENTORY_FILE, configError, removeTrees, writeTree } from './fixture-tree';

afterEach(removeTrees);

describe('loadAllowlist', () => {
  it('falls back to the SPEC-4 taxonomy when the repo has no policies/allowlist.yaml', () => {
    expect(loadAllowlist(writeTree())).toEqual(DEFAULT_ALLOWLIST);
  });

  it('loads a custom allow-list', () => {
    const dir = writeTree({
      [ALLOWLIST_FILE]: 'common: [beta, node-exporter]\ngroups:\n  node:\n    profiles: [node, relay]\n    services: [node-worker]\n',
    });
    expect(loadAllowlist(dir)).toEqual({
      common: ['beta', 'node-exporter'],
      groups: { node: { profiles: ['node', 'relay'], services: ['node-worker'] } },
    });
  });

  it("defaults common to ['beta']", () => {
    const dir = writeTree({ [ALLOWLIST_FILE]: 'groups:\n  node: {profiles: [node], services: []}\n' });
    expect(loadAllowlist(dir).common).toEqual(['beta']);
  });

  it('rejects an unknown group', () => {
    const e = configError(() => loadAllowlist(writeTree({ [ALLOWLIST_FILE]: 'groups:\n  gpu: {profiles: [node], services: []}\n' })));
    expect(e.file).toBe(ALLOWLIST_FILE);
    expect(e.field).toBe('groups');
    expect(e.reason).toContain('gpu');
  });

  it('rejects an unknown profile', () => {
    const e = configError(() => loadAllowlist(writeTree({ [ALLOWLIST_FILE]: 'groups:\n  node: {profiles: [node, gpu], services: []}\n' })));
    expect(e.file).toBe(ALLOWLIST_FILE);
    expect(e.field).toBe('groups.node.profiles[1]');
  });

  it('rejects a group entry without services', () => {
    const e = configError(() => loadAllowlist(writeTree({ [ALLOWLIST_FILE]: 'groups:\n  node: {profiles: [node]}\n' })));
    expect(e.field).toBe('groups.node.services');
  });

  it('rejects an unknown key', () => {
    const e = configError(() =>
      loadAllowlist(writeTree({ [ALLOWLIST_FILE]: 'groups:\n  node: {profiles: [node], services: [], images: []}\n' })),
    );
    expect(e.field).toBe('groups.node');
    expect(e.reason).toContain('images');
  });

  it('rejects a YAML syntax error', () => {
    const e = configError(() => loadAllowlist(writeTree({ [ALLOWLIST_FILE]: 'groups: {node: [\n' })));
    expect(e.file).toBe(ALLOWLIST_FILE);
    expect(e.reason).toMatch(/^YAML syntax error: /);
  });
});

describe('checkAllowed', () => {
  const svc = (name: string, ...profiles: ComposeService['profiles']): ComposeService => ({ name, image: `${name}:1`, profiles, dependsOn: [] });
  const cluster = (over: Partial<ClusterSpec> = {}): ClusterSpec => ({
    id: 'edge-node-1',
    group: 'node',
    profiles: ['node'],
    wave: 'core',
    labels: {},
    env: 'clusters/edge-node-1/.env',
    ...over,
  });

  it('accepts the default taxonomy for a node cluster', () => {
    expect(() =>
      checkAllowed(DEFAULT_ALLOWLIST, cluster(), 0, [svc('beta'), svc('node-worker', 'node'), svc('node-economy', 'node')]),
    ).not.toThrow();
  });

  it('rejects a profile the group may not run, naming the cluster index', () => {
    const e = configError(() => checkAllowed(DEFAULT_ALLOWLIST, cluster({ profiles: ['node', 'admin'] }), 3, []));
    expect(e.toJSON()).toEqual({
      file: INVENTORY_FILE,
      field: 'clusters[3].profiles[1]',
      reason: "profile 'admin' is not allowed for group 'node' (allowed: node)",
    });
  });

  it('says none when the allow-list has no entry for the group', () => {
    const allow: Allowlist = { common: ['beta'], groups: { sessions: { profiles: ['sessions'], services: [] } } };
    const e = configError(() => checkAllowed(allow, cluster(), 0, []));
    expect(e.toJSON()).toEqual({
      file: INVENTORY_FILE,
      field: 'clusters[0].profiles[0]',
      reason: "profile 'node' is not allowed for group 'node' (allowed: none)",
    });
  });

  it('rejects a profile service that is not in the group services', () => {
    const e = configError(() => checkAllowed(DEFAULT_ALLOWLIST, cluster(), 0, [svc('beta'), svc('node-miner', 'node')]));
    expect(e.toJSON()).toEqual({
      file: COMPOSE_FILE,
      field: 'services.node-miner',
      reason: "service 'node-miner' (profile 'node') is not allowed for group 'node' of cluster 'edge-node-1'",
    });
  });

  it('rejects a service of another group that shares an active profile', () => {
    const e = configError(() => checkAllowed(DEFAULT_ALLOWLIST, cluster(), 0, [svc('admin-api', 'admin', 'node')]));
    expect(e.field).toBe('services.admin-api');
    expect(e.reason).toBe("service 'admin-api' (profile 'admin,node') is not allowed for group 'node' of cluster 'edge-node-1'");
  });

  it('rejects a no-profile service that is not in common', () => {
    const e = configError(() => checkAllowed(DEFAULT_ALLOWLIST, cluster(), 0, [svc('debug-shell')]));
    expect(e.toJSON()).toEqual({
      file: COMPOSE_FILE,
      field: 'services.debug-shell',
      reason: "service 'debug-shell' (has no profile and is not in common) is not allowed for group 'node' of cluster 'edge-node-1'",
    });
  });

  it('checks no-profile services against common only', () => {
    const allow: Allowlist = { common: [], groups: { node: { profiles: ['node'], services: ['beta'] } } };
    const e = configError(() => checkAllowed(allow, cluster(), 0, [svc('beta')]));
    expect(e.field).toBe('services.beta');
    expect(e.reason).toMatch(/has no profile and is not in common/);
  });

  it('checks profiles before services', () => {
    const e = configError(() => checkAllowed(DEFAULT_ALLOWLIST, cluster({ profiles: ['relay'] }), 1, [svc('rogue', 'relay')]));
    expect(e.file).toBe(INVENTORY_FILE);
    expect(e.field).toBe('clusters[1].profiles[0]');
  });
});
