import { findCluster, loadInventory } from '../../config/inventory';
import { DEFAULT_WAVES } from '../../config/fleet-taxonomy';
import { ConfigError } from '../../config/config-error';
import { INVENTORY_FILE, configError, envFile, removeTrees, writeTree } from './fixture-tree';

afterEach(removeTrees);

/** A tree whose only cluster `a` has the given clusters.yaml entry body. */
function oneCluster(entry: string, head = ''): string {
  return writeTree({
    [INVENTORY_FILE]: `${head}clusters:\n  - id: a\n${entry}`,
    'clusters/a/.env': envFile('a', ['node']),
  });
}

describe('loadInventory: valid inventories', () => {
  it('loads the two-cluster fixture with defaults filled in', () => {
    const inv = loadInventory(writeTree());
    expect(inv.waves.map((w) => w.name)).toEqual([...DEFAULT_WAVES]);
    expect(inv.waves[0]).toEqual({ name: 'canary', maxUnavailable: 0, soakSeconds: 0, approval: false, windows: [], pickupTimeoutSeconds: 60, reconcileTimeoutSeconds: 1800 });
    expect(inv.clusters).toEqual([
      {
        id: 'edge-node-1',
        group: 'node',
        profiles: ['node'],
        wave: 'edge',
        labels: { site: 'lisbon' },
        env: 'clusters/edge-node-1/.env',
      },
      { id: 'sess-1', group: 'sessions', profiles: ['sessions'], wave: 'core', labels: {}, env: 'clusters/sess-1/.env' },
    ]);
  });

  it('honours custom waves', () => {
    const inv = loadInventory(
      oneCluster('    group: node\n    profiles: [node]\n    wave: pilot\n    env: clusters/a/.env\n', 'waves: [pilot, rest]\n'),
    );
    expect(inv.waves.map((w) => w.name)).toEqual(['pilot', 'rest']);
    expect(inv.clusters[0]!.wave).toBe('pilot');
  });

  it('accepts a 40-character id', () => {
    const id = 'a'.repeat(40);
    const dir = writeTree({
      [INVENTORY_FILE]: `clusters:\n  - id: ${id}\n    group: node\n    profiles: [node]\n    env: clusters/${id}/.env\n`,
      [`clusters/${id}/.env`]: envFile(id, ['node']),
    });
    expect(loadInventory(dir).clusters[0]!.id).toBe(id);
  });
});

describe('loadInventory: rejections', () => {
  it('rejects a missing clusters.yaml', () => {
    const e = configError(() => loadInventory(writeTree({ [INVENTORY_FILE]: null })));
    expect(e.toJSON()).toEqual({ file: INVENTORY_FILE, field: '(file)', reason: 'file not found' });
  });

  it('rejects a YAML syntax error', () => {
    const e = configError(() =>
      loadInventory(writeTree({ [INVENTORY_FILE]: 'clusters:\n  - id: a\n    profiles: [node\n    group: node\n' })),
    );
    expect(e.file).toBe(INVENTORY_FILE);
    expect(e.reason).toMatch(/^YAML syntax error: /);
  });

  it('names the line of a YAML syntax error', () => {
    const e = configError(() =>
      loadInventory(writeTree({ [INVENTORY_FILE]: 'clusters:\n  - id: a\n    profiles: [node\n    group: node\n' })),
    );
    expect(e.file).toBe(INVENTORY_FILE);
    expect(e.field).toMatch(/^line \d+, column \d+$/);
  });

  it('rejects an empty file', () => {
    const e = configError(() => loadInventory(writeTree({ [INVENTORY_FILE]: '' })));
    expect(e.file).toBe(INVENTORY_FILE);
    expect(e.field).toBe('(root)');
    expect(e.reason).toMatch(/expected object/);
  });

  it('rejects an inventory without clusters', () => {
    const e = configError(() => loadInventory(writeTree({ [INVENTORY_FILE]: 'clusters: []\n' })));
    expect(e.toJSON()).toEqual({ file: INVENTORY_FILE, field: 'clusters', reason: 'the inventory lists no cluster' });
  });

  it('rejects an empty waves list', () => {
    const e = configError(() =>
      loadInventory(oneCluster('    group: node\n    profiles: [node]\n    env: clusters/a/.env\n', 'waves: []\n')),
    );
    expect(e.file).toBe(INVENTORY_FILE);
    expect(e.field).toBe('waves');
  });

  it('rejects an unknown top-level key', () => {
    const e = configError(() =>
      loadInventory(oneCluster('    group: node\n    profiles: [node]\n    env: clusters/a/.env\n', 'version: 2\n')),
    );
    expect(e.field).toBe('(root)');
    expect(e.reason).toContain('version');
  });

  it('rejects an unknown key in a cluster', () => {
    const e = configError(() => loadInventory(oneCluster('    group: node\n    profiles: [node]\n    env: clusters/a/.env\n    region: eu\n')));
    expect(e.file).toBe(INVENTORY_FILE);
    expect(e.field).toBe('clusters[0]');
    expect(e.reason).toContain('region');
  });

  it('rejects an unknown profile, naming its index', () => {
    const e = configError(() => loadInventory(oneCluster('    group: node\n    profiles: [node, gpu]\n    env: clusters/a/.env\n')));
    expect(e.file).toBe(INVENTORY_FILE);
    expect(e.field).toBe('clusters[0].profiles[1]');
    expect(e.reason).toBe("unknown profile 'gpu' (known: blockchain, sessions, node, admin, observability, relay)");
  });

  it('rejects an unknown profile in the second cluster', () => {
    const inv = `clusters:
  - id: edge-node-1
    group: node
    profiles: [node]
    env: clusters/edge-node-1/.env
  - id: sess-1
    group: sessions
    profiles: [sessions, session]
    env: clusters/sess-1/.env
`;
    const e = configError(() => loadInventory(writeTree({ [INVENTORY_FILE]: inv })));
    expect(e.field).toBe('clusters[1].profiles[1]');
    expect(e.reason).toMatch(/^unknown profile 'session'/);
  });

  it('rejects an empty profile list', () => {
    const e = configError(() => loadInventory(oneCluster('    group: node\n    profiles: []\n    env: clusters/a/.env\n')));
    expect(e.toJSON()).toEqual({ file: INVENTORY_FILE, field: 'clusters[0].profiles', reason: 'a cluster needs at least one profile' });
  });

  it('rejects an unknown group', () => {
    const e = configError(() => loadInventory(oneCluster('    group: gpu\n    profiles: [node]\n    env: clusters/a/.env\n')));
    expect(e.field).toBe('clusters[0].group');
    expect(e.reason).toBe("unknown group 'gpu' (known: blockchain, sessions, node, admin, observability, relay)");
  });

  it('rejects a missing group', () => {
    const e = configError(() => loadInventory(oneCluster('    profiles: [node]\n    env: clusters/a/.env\n')));
    expect(e.field).toBe('clusters[0].group');
  });

  it.each(['Edge-1', '-edge', 'edge_1', 'a'.repeat(41), ''])('rejects cluster id %j', (id) => {
    const e = configError(() =>
      loadInventory(writeTree({ [INVENTORY_FILE]: `clusters:\n  - id: "${id}"\n    group: node\n    profiles: [node]\n    env: clusters/x/.env\n` })),
    );
    expect(e.field).toBe('clusters[0].id');
    expect(e.reason).toMatch(/lowercase letters, digits and dashes/);
  });

  it('rejects a duplicate cluster id, naming the first occurrence', () => {
    const inv = `clusters:
  - id: edge-node-1
    group: node
    profiles: [node]
    env: clusters/edge-node-1/.env
  - id: edge-node-1
    group: sessions
    profiles: [sessions]
    env: clusters/sess-1/.env
`;
    const e = configError(() => loadInventory(writeTree({ [INVENTORY_FILE]: inv })));
    expect(e.toJSON()).toEqual({
      file: INVENTORY_FILE,
      field: 'clusters[1].id',
      reason: "duplicate cluster id 'edge-node-1' (first at clusters[0])",
    });
  });

  it('rejects a later duplicate against the right first index', () => {
    const inv = `clusters:
  - {id: a, group: node, profiles: [node], env: clusters/a/.env}
  - {id: b, group: node, profiles: [node], env: clusters/b/.env}
  - {id: c, group: node, profiles: [node], env: clusters/c/.env}
  - {id: b, group: node, profiles: [node], env: clusters/b/.env}
`;
    const dir = writeTree({
      [INVENTORY_FILE]: inv,
      'clusters/a/.env': envFile('a', ['node']),
      'clusters/b/.env': envFile('b', ['node']),
      'clusters/c/.env': envFile('c', ['node']),
    });
    const e = configError(() => loadInventory(dir));
    expect(e.field).toBe('clusters[3].id');
    expect(e.reason).toBe("duplicate cluster id 'b' (first at clusters[1])");
  });

  it('rejects a missing env file', () => {
    const e = configError(() => loadInventory(writeTree({ 'clusters/sess-1/.env': null })));
    expect(e.toJSON()).toEqual({
      file: INVENTORY_FILE,
      field: 'clusters[1].env',
      reason: "env file 'clusters/sess-1/.env' not found",
    });
  });

  it('rejects an env path outside the clusters/<id>/.env form', () => {
    const e = configError(() => loadInventory(oneCluster('    group: node\n    profiles: [node]\n    env: clusters/a/env\n')));
    expect(e.field).toBe('clusters[0].env');
    expect(e.reason).toBe("must be a path of the form 'clusters/<id>/.env'");
  });

  it('rejects a wave that is not in the default waves', () => {
    const e = configError(() => loadInventory(oneCluster('    group: node\n    profiles: [node]\n    wave: later\n    env: clusters/a/.env\n')));
    expect(e.toJSON()).toEqual({
      file: INVENTORY_FILE,
      field: 'clusters[0].wave',
      reason: "wave 'later' is not in waves (canary, core, edge, admin, obs)",
    });
  });

  it('rejects a defaulted wave (core) that custom waves leave out', () => {
    const inv = `waves: [canary, edge]
clusters:
  - id: edge-node-1
    group: node
    profiles: [node]
    wave: edge
    env: clusters/edge-node-1/.env
  - id: sess-1
    group: sessions
    profiles: [sessions]
    env: clusters/sess-1/.env
`;
    const e = configError(() => loadInventory(writeTree({ [INVENTORY_FILE]: inv })));
    expect(e.field).toBe('clusters[1].wave');
    expect(e.reason).toBe("wave 'core' is not in waves (canary, edge)");
  });

  it('rejects a badly formed wave name', () => {
    const e = configError(() => loadInventory(oneCluster('    group: node\n    profiles: [node]\n    wave: Wave1\n    env: clusters/a/.env\n')));
    expect(e.field).toBe('clusters[0].wave');
    expect(e.reason).toBe('must be a lowercase wave name');
  });

  it('rejects a non-string label value', () => {
    const e = configError(() =>
      loadInventory(oneCluster('    group: node\n    profiles: [node]\n    labels: {tier: 1}\n    env: clusters/a/.env\n')),
    );
    expect(e.field).toBe('clusters[0].labels.tier');
    expect(e.reason).toMatch(/expected string/);
  });
});

describe('findCluster', () => {
  it('returns the cluster with that id', () => {
    const inv = loadInventory(writeTree());
    expect(findCluster(inv, 'sess-1')).toBe(inv.clusters[1]);
  });

  it('rejects an unknown id', () => {
    const inv = loadInventory(writeTree());
    const e = configError(() => findCluster(inv, 'nope'));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.toJSON()).toEqual({ file: INVENTORY_FILE, field: 'clusters', reason: "no cluster with id 'nope'" });
  });
});
