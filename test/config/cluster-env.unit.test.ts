import { loadClusterEnv } from '../../config/cluster-env';
import type { ClusterSpec } from '../../config/inventory';
import { configError, envFile, removeTrees, writeTree, type EnvOptions } from './fixture-tree';

afterEach(removeTrees);

const ENV = 'clusters/edge-node-1/.env';
const cluster: ClusterSpec = {
  id: 'edge-node-1',
  group: 'node',
  profiles: ['node', 'relay'],
  wave: 'edge',
  labels: {},
  env: ENV,
};

function load(opts: EnvOptions = {}, text?: string) {
  const dir = writeTree({ [ENV]: text ?? envFile('edge-node-1', ['node', 'relay'], opts) });
  return loadClusterEnv(dir, cluster);
}

describe('loadClusterEnv: accepted', () => {
  it('returns every key, including ones the schema does not know', () => {
    const env = load({ set: { NODE_WORKER_THREADS: '4' } });
    expect(env).toEqual({
      CLUSTER_ID: 'edge-node-1',
      PROFILES: 'node,relay',
      BETA_PLANES: 'ops,chain',
      TOR_SOCKS: 'tor:9050',
      MONGO_RS: 'rs0',
      MONGO_SHARD_RANGE: '0-1023',
      TRON_MODE: 'shasta',
      S3_ENDPOINT: 'https://s3.example:9000',
      S3_ACCESS_KEY: 'enc:sops',
      S3_SECRET_KEY: 'enc:sops',
      NODE_WORKER_THREADS: '4',
    });
  });

  it('accepts the minimal env (only the required keys)', () => {
    const env = load({}, 'CLUSTER_ID=edge-node-1\nPROFILES=node,relay\nBETA_PLANES=ops\n');
    expect(env).toEqual({ CLUSTER_ID: 'edge-node-1', PROFILES: 'node,relay', BETA_PLANES: 'ops' });
  });

  it('compares PROFILES ignoring order and spaces', () => {
    expect(load({ set: { PROFILES: '"relay , node"' } }).PROFILES).toBe('relay , node');
  });

  it.each(['ops', 'ops,chain,wallet', 'wallet, ops'])('accepts BETA_PLANES=%j', (planes) => {
    expect(load({ set: { BETA_PLANES: `"${planes}"` } }).BETA_PLANES).toBe(planes);
  });

  it('accepts TRON_MODE=mainnet and LEDGER_PUBKEYS=enc:sops', () => {
    const env = load({ set: { TRON_MODE: 'mainnet', LEDGER_PUBKEYS: 'enc:sops' } });
    expect(env.TRON_MODE).toBe('mainnet');
    expect(env.LEDGER_PUBKEYS).toBe('enc:sops');
  });
});

describe('loadClusterEnv: rejected', () => {
  it('rejects a missing file', () => {
    const e = configError(() => loadClusterEnv(writeTree({ [ENV]: null }), cluster));
    expect(e.toJSON()).toEqual({ file: ENV, field: '(file)', reason: 'file not found' });
  });

  it('rejects a CLUSTER_ID that names another cluster', () => {
    const e = configError(() => load({ set: { CLUSTER_ID: 'sess-1' } }));
    expect(e.toJSON()).toEqual({
      file: ENV,
      field: 'CLUSTER_ID',
      reason: "is 'sess-1' but the file belongs to cluster 'edge-node-1'",
    });
  });

  it('rejects an empty CLUSTER_ID', () => {
    const e = configError(() => load({ set: { CLUSTER_ID: '' } }));
    expect(e.toJSON()).toEqual({ file: ENV, field: 'CLUSTER_ID', reason: 'is required' });
  });

  it('rejects a missing CLUSTER_ID', () => {
    const e = configError(() => load({ set: { CLUSTER_ID: null } }));
    expect(e.file).toBe(ENV);
    expect(e.field).toBe('CLUSTER_ID');
  });

  it('rejects a missing PROFILES', () => {
    const e = configError(() => load({ set: { PROFILES: null } }));
    expect(e.file).toBe(ENV);
    expect(e.field).toBe('PROFILES');
  });

  it('rejects PROFILES that differ from clusters.yaml', () => {
    const e = configError(() => load({ set: { PROFILES: 'node' } }));
    expect(e.toJSON()).toEqual({
      file: ENV,
      field: 'PROFILES',
      reason: "is 'node' but clusters/clusters.yaml gives cluster 'edge-node-1' profiles 'node,relay'",
    });
  });

  it('rejects PROFILES with an extra profile', () => {
    const e = configError(() => load({ set: { PROFILES: 'node,relay,admin' } }));
    expect(e.field).toBe('PROFILES');
    expect(e.reason).toMatch(/^is 'node,relay,admin' but/);
  });

  it('rejects PROFILES with an empty entry', () => {
    const e = configError(() => load({ set: { PROFILES: 'node,relay,' } }));
    expect(e.field).toBe('PROFILES');
  });

  it.each(['ops,gpu', 'OPS', '', 'ops,,chain'])('rejects BETA_PLANES=%j', (planes) => {
    const e = configError(() => load({ set: { BETA_PLANES: planes } }));
    expect(e.toJSON()).toEqual({ file: ENV, field: 'BETA_PLANES', reason: 'must be a comma-separated subset of ops,chain,wallet' });
  });

  it('rejects a missing BETA_PLANES', () => {
    const e = configError(() => load({ set: { BETA_PLANES: null } }));
    expect(e.file).toBe(ENV);
    expect(e.field).toBe('BETA_PLANES');
  });

  it.each(['testnet', 'Mainnet', 'nile'])('rejects TRON_MODE=%j', (mode) => {
    const e = configError(() => load({ set: { TRON_MODE: mode } }));
    expect(e.toJSON()).toEqual({ file: ENV, field: 'TRON_MODE', reason: "must be 'shasta' or 'mainnet'" });
  });

  it.each(['S3_ACCESS_KEY', 'S3_SECRET_KEY', 'LEDGER_PUBKEYS'])('rejects a plaintext %s', (key) => {
    const e = configError(() => load({ set: { [key]: 'AKIAIOSFODNN7EXAMPLE' } }));
    expect(e.file).toBe(ENV);
    expect(e.field).toBe(key);
    expect(e.reason).toBe("must be 'enc:sops' (secrets live in secrets/<id>.enc.yaml)");
  });

  it('rejects a near-miss SOPS reference', () => {
    const e = configError(() => load({ set: { S3_ACCESS_KEY: 'enc:sops:v2' } }));
    expect(e.field).toBe('S3_ACCESS_KEY');
    expect(e.reason).toMatch(/^must be 'enc:sops'/);
  });

  it.each(['tor', 'tor:', 'tor:socks', 'tor :9050', 'tor:123456'])('rejects TOR_SOCKS=%j', (v) => {
    const e = configError(() => load({ set: { TOR_SOCKS: `"${v}"` } }));
    expect(e.toJSON()).toEqual({ file: ENV, field: 'TOR_SOCKS', reason: 'must be host:port' });
  });

  it.each(['0-', '0..1023', 'low-high'])('rejects MONGO_SHARD_RANGE=%j', (v) => {
    const e = configError(() => load({ set: { MONGO_SHARD_RANGE: v } }));
    expect(e.toJSON()).toEqual({ file: ENV, field: 'MONGO_SHARD_RANGE', reason: 'must be <low>-<high>' });
  });

  it('rejects an empty MONGO_RS', () => {
    const e = configError(() => load({ set: { MONGO_RS: '' } }));
    expect(e.field).toBe('MONGO_RS');
  });

  it('checks the schema before CLUSTER_ID ownership', () => {
    const e = configError(() => load({ set: { CLUSTER_ID: 'other', TRON_MODE: 'nile' } }));
    expect(e.field).toBe('TRON_MODE');
  });
});
