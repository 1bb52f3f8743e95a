import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadAllowlist } from '../../config/allowlist';
import { loadClusterEnv } from '../../config/cluster-env';
import { loadComposeFile } from '../../config/compose-file';
import { readRepoFile } from '../../config/config-files';
import { loadFleetConfig } from '../../config/fleet-config';
import { loadImagePolicy } from '../../config/image-policy';
import { loadInventory } from '../../config/inventory';
import { DEFAULT_LIMITS, loadLimits, parseLimits } from '../../config/limits';
import { readSecretsSources } from '../../config/secrets-file';
import { verifyCommitSignature } from '../../repo/commit-signature';
import { ALLOWLIST_FILE, COMPOSE_FILE, INVENTORY_FILE, VALID_COMPOSE, VALID_INVENTORY, configError, envFile, removeTrees, writeTree } from './fixture-tree';

afterEach(removeTrees);

const KIB = 1024;
const MIB = 1024 * KIB;
const LIMITS = 'policies/limits.yaml';
const NODE_ENV = 'clusters/edge-node-1/.env';
const nodeCluster = { id: 'edge-node-1', group: 'node' as const, profiles: ['node' as const], wave: 'edge', labels: {}, env: NODE_ENV };

/** `text` padded with a comment to exactly `bytes`: size without meaning. */
const paddedTo = (text: string, bytes: number) => text + '#'.repeat(bytes - text.length - 1) + '\n';

describe('policies/limits.yaml', () => {
  it('without the file, the documented defaults apply', () => {
    expect(loadLimits(writeTree())).toEqual({
      inventory: { maxBytes: 1 * MIB, maxClusters: 10_000 },
      compose: { maxBytes: 1 * MIB, maxServices: 500 },
      clusterEnv: { maxBytes: 64 * KIB, maxKeys: 500 },
      secrets: { maxBytes: 1 * MIB, maxSecrets: 500 },
      policies: { maxBytes: 256 * KIB, maxSigners: 200 },
      rollout: { batchClusters: 100, batchesAtOnce: 10 },
    });
  });

  it('raises only what it names, in bytes or KiB/MiB', () => {
    const limits = parseLimits('inventory: {maxBytes: 4 MiB}\nclusterEnv: {maxKeys: 2000, maxBytes: 512KiB}\ncompose: {maxBytes: 3000000}\n');
    expect(limits).toEqual({
      ...DEFAULT_LIMITS,
      inventory: { maxBytes: 4 * MIB, maxClusters: 10_000 },
      clusterEnv: { maxBytes: 512 * KIB, maxKeys: 2000 },
      compose: { maxBytes: 3_000_000, maxServices: 500 },
    });
  });

  it('sets the rollout batching', () => {
    expect(parseLimits('rollout: {batchClusters: 2}\n').rollout).toEqual({ batchClusters: 2, batchesAtOnce: 10 });
  });

  it('an empty or comment-only file sets nothing', () => {
    expect(parseLimits('')).toEqual(DEFAULT_LIMITS);
    expect(parseLimits('# raised when the fleet grows\n')).toEqual(DEFAULT_LIMITS);
  });

  it('the defaults cannot be changed by whoever reads them', () => {
    expect(() => {
      (DEFAULT_LIMITS.inventory as { maxBytes: number }).maxBytes = 1;
    }).toThrow(TypeError);
  });

  it.each([
    ['an unknown section', 'clusters: {maxBytes: 1}\n', '(root)', /clusters/],
    ['an unknown key', 'inventory: {maxSize: 1}\n', 'inventory', /maxSize/],
    ['a size over the 16 MiB ceiling', 'inventory: {maxBytes: 17 MiB}\n', 'inventory.maxBytes', /at most 16 MiB/],
    ['a size in an unknown unit', 'inventory: {maxBytes: 1 GB}\n', 'inventory.maxBytes', /number of bytes or '<n> B\|KiB\|MiB'/],
    ['a count of zero', 'compose: {maxServices: 0}\n', 'compose.maxServices', /at least 1/],
    ['a count over the ceiling', 'inventory: {maxClusters: 100001}\n', 'inventory.maxClusters', /at most 100000/],
    ['a batch over its ceiling', 'rollout: {batchClusters: 1001}\n', 'rollout.batchClusters', /at most 1000/],
    ['too many batches at once', 'rollout: {batchesAtOnce: 101}\n', 'rollout.batchesAtOnce', /at most 100/],
    ['an empty batch', 'rollout: {batchClusters: 0}\n', 'rollout.batchClusters', /at least 1/],
    ['a fractional count', 'secrets: {maxSecrets: 1.5}\n', 'secrets.maxSecrets', /whole number/],
    ['a YAML syntax error', 'inventory: {maxBytes: 1\n', /^line \d+, column \d+$/, /YAML syntax error/],
  ])('refuses %s', (_name, text, field, reason) => {
    const e = configError(() => loadLimits(writeTree({ [LIMITS]: text })));
    expect(e.file).toBe(LIMITS);
    expect(e.field).toEqual(typeof field === 'string' ? field : expect.stringMatching(field));
    expect(e.reason).toMatch(reason);
  });

  it('the limits file itself has a fixed 16 KiB cap', () => {
    expect(loadLimits(writeTree({ [LIMITS]: paddedTo('inventory: {maxClusters: 5}\n', 16 * KIB) })).inventory.maxClusters).toBe(5);
    const e = configError(() => loadLimits(writeTree({ [LIMITS]: paddedTo('inventory: {maxClusters: 5}\n', 16 * KIB + 1) })));
    expect(e.toJSON()).toEqual({ file: LIMITS, field: '(file)', reason: 'is 16385 bytes, over the limit of 16384 bytes (16 KiB; a fixed limit)' });
  });
});

describe('file sizes: refused from the size alone, with the file, the limit and the size', () => {
  it('clusters/clusters.yaml: 1 MiB, raised by inventory.maxBytes', () => {
    const big = paddedTo(VALID_INVENTORY, MIB + 1);
    const e = configError(() => loadFleetConfig(writeTree({ [INVENTORY_FILE]: big })));
    expect(e.toJSON()).toEqual({
      file: INVENTORY_FILE,
      field: '(file)',
      reason: 'is 1048577 bytes, over the limit of 1048576 bytes (1 MiB; raise inventory.maxBytes in policies/limits.yaml)',
    });
    expect(loadFleetConfig(writeTree({ [INVENTORY_FILE]: paddedTo(VALID_INVENTORY, MIB) })).clusters.size).toBe(2);
    expect(loadFleetConfig(writeTree({ [INVENTORY_FILE]: big, [LIMITS]: 'inventory: {maxBytes: 2 MiB}\n' })).clusters.size).toBe(2);
  });

  it('compose/docker-compose.yml: 1 MiB, raised by compose.maxBytes', () => {
    const dir = writeTree({ [COMPOSE_FILE]: paddedTo(VALID_COMPOSE, MIB + 1) });
    expect(configError(() => loadComposeFile(dir)).reason).toBe(
      'is 1048577 bytes, over the limit of 1048576 bytes (1 MiB; raise compose.maxBytes in policies/limits.yaml)',
    );
    expect(loadComposeFile(dir, parseLimits('compose: {maxBytes: 2 MiB}\n'))).toHaveLength(7);
  });

  it('clusters/<id>/.env: 64 KiB, raised by clusterEnv.maxBytes', () => {
    const dir = writeTree({ [NODE_ENV]: paddedTo(envFile('edge-node-1', ['node']), 64 * KIB + 1) });
    expect(configError(() => loadClusterEnv(dir, nodeCluster)).toJSON()).toEqual({
      file: NODE_ENV,
      field: '(file)',
      reason: 'is 65537 bytes, over the limit of 65536 bytes (64 KiB; raise clusterEnv.maxBytes in policies/limits.yaml)',
    });
    expect(loadClusterEnv(dir, nodeCluster, parseLimits('clusterEnv: {maxBytes: 128 KiB}\n')).CLUSTER_ID).toBe('edge-node-1');
  });

  it('policies/allowlist.yaml and policies/images.yaml: 256 KiB, raised by policies.maxBytes', () => {
    const dir = writeTree({ [ALLOWLIST_FILE]: paddedTo('', 256 * KIB + 1), 'policies/images.yaml': paddedTo('', 256 * KIB + 1) });
    expect(configError(() => loadAllowlist(dir)).reason).toMatch(/^is 262145 bytes, over the limit of 262144 bytes \(256 KiB; raise policies.maxBytes/);
    expect(configError(() => loadImagePolicy(dir, DEFAULT_LIMITS)).toJSON()).toMatchObject({ file: 'policies/images.yaml', field: '(file)' });
    // Raised, the files are read and then refused for what they say (comments only), not for their size.
    const raised = parseLimits('policies: {maxBytes: 1 MiB}\n');
    expect(configError(() => loadAllowlist(dir, raised)).field).toBe('(root)');
    expect(configError(() => loadImagePolicy(dir, raised)).field).toBe('(root)');
  });

  it('secrets/<id>.enc.yaml: 1 MiB, raised by secrets.maxBytes', () => {
    const dir = writeTree({ 'secrets/edge-node-1.enc.yaml': paddedTo('sops: {}\n', MIB + 1) });
    expect(configError(() => loadFleetConfig(dir)).toJSON()).toEqual({
      file: 'secrets/edge-node-1.enc.yaml',
      field: '(file)',
      reason: 'is 1048577 bytes, over the limit of 1048576 bytes (1 MiB; raise secrets.maxBytes in policies/limits.yaml)',
    });
    expect(readSecretsSources(dir, 'edge-node-1', parseLimits('secrets: {maxBytes: 2 MiB}\n'))[0]!.text).toHaveLength(MIB + 1);
  });

  it('a 10 GiB file is refused at once, without reading it', () => {
    const dir = writeTree();
    // Sparse: no disk used. Reading it whole would take minutes and fail on the string size limit.
    fs.truncateSync(path.join(dir, INVENTORY_FILE), 10 * 1024 * MIB);
    const started = Date.now();
    const e = configError(() => loadFleetConfig(dir));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(e.reason).toBe('is 10737418240 bytes, over the limit of 1048576 bytes (1 MiB; raise inventory.maxBytes in policies/limits.yaml)');
  });

  it('a symlink is not read, wherever it points', () => {
    const dir = writeTree();
    fs.rmSync(path.join(dir, NODE_ENV));
    fs.symlinkSync('/etc/passwd', path.join(dir, NODE_ENV));
    expect(configError(() => readRepoFile(dir, NODE_ENV, { max: MIB })).toJSON()).toEqual({
      file: NODE_ENV,
      field: '(file)',
      reason: 'is or goes through a symbolic link; config files are regular files of the commit',
    });
    const inside = writeTree({ 'elsewhere/.env': envFile('edge-node-1', ['node']), [NODE_ENV]: null });
    fs.symlinkSync(path.join(inside, 'elsewhere'), path.join(inside, 'clusters/edge-node-2'));
    expect(configError(() => readRepoFile(inside, 'clusters/edge-node-2/.env', { max: MIB })).reason).toMatch(/symbolic link/);
  });
});

describe('counts: refused before the items are validated, with the count and the limit', () => {
  const manyClusters = (n: number) =>
    `clusters:\n${Array.from({ length: n }, (_, i) => `  - {id: c${i}, group: node, profiles: [node], env: clusters/c${i}/.env}\n`).join('')}`;

  it('clusters: 10,000, raised by inventory.maxClusters', () => {
    const e = configError(() => loadInventory(writeTree({ [INVENTORY_FILE]: manyClusters(10_001) })));
    expect(e.toJSON()).toEqual({
      file: INVENTORY_FILE,
      field: 'clusters',
      reason: 'lists 10001 clusters, over the limit of 10000 (raise inventory.maxClusters in policies/limits.yaml)',
    });
    // Raised, the same file gets as far as the env files it names.
    const raised = configError(() => loadInventory(writeTree({ [INVENTORY_FILE]: manyClusters(10_001) }), parseLimits('inventory: {maxClusters: 20000}\n')));
    expect(raised.field).toBe('clusters[0].env');
  });

  it('services: 500, raised by compose.maxServices', () => {
    const compose = `services:\n${Array.from({ length: 501 }, (_, i) => `  s${i}: {image: "i:1", labels: {com.lucid.plane: ops, com.lucid.service: s${i}, com.lucid.expose: ""}}\n`).join('')}`;
    const dir = writeTree({ [COMPOSE_FILE]: compose });
    expect(configError(() => loadComposeFile(dir)).toJSON()).toEqual({
      file: COMPOSE_FILE,
      field: 'services',
      reason: 'lists 501 services, over the limit of 500 (raise compose.maxServices in policies/limits.yaml)',
    });
    expect(loadComposeFile(dir, parseLimits('compose: {maxServices: 501}\n'))).toHaveLength(501);
  });

  it('.env keys: 500, raised by clusterEnv.maxKeys; 10,000 keys are over the size limit first', () => {
    const keys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`K${i}`, '1']));
    const dir = writeTree({ [NODE_ENV]: envFile('edge-node-1', ['node'], { set: keys(491) }) });
    expect(configError(() => loadClusterEnv(dir, nodeCluster)).toJSON()).toEqual({
      file: NODE_ENV,
      field: '(file)',
      reason: 'lists 501 keys, over the limit of 500 (raise clusterEnv.maxKeys in policies/limits.yaml)',
    });
    expect(Object.keys(loadClusterEnv(dir, nodeCluster, parseLimits('clusterEnv: {maxKeys: 501}\n')))).toHaveLength(501);
    const huge = writeTree({ [NODE_ENV]: envFile('edge-node-1', ['node'], { set: keys(9990) }) });
    expect(configError(() => loadClusterEnv(huge, nodeCluster)).reason).toMatch(/^is \d+ bytes, over the limit of 65536 bytes/);
  });

  it('secrets: 500 names (plaintext in a SOPS file), raised by secrets.maxSecrets', () => {
    const secrets = (n: number) => `${Array.from({ length: n }, (_, i) => `S${i}: ENC[x]\n`).join('')}sops: {mac: x}\n`;
    const dir = writeTree({ 'secrets/sess-1.enc.yaml': secrets(501) });
    expect(configError(() => loadFleetConfig(dir)).toJSON()).toEqual({
      file: 'secrets/sess-1.enc.yaml',
      field: '(file)',
      reason: 'lists 501 secrets, over the limit of 500 (raise secrets.maxSecrets in policies/limits.yaml)',
    });
    expect(readSecretsSources(writeTree({ 'secrets/sess-1.enc.yaml': secrets(500) }), 'sess-1', DEFAULT_LIMITS)[0]!.names).toContain('S499');
  });

  it('image policy signers: 200, raised by policies.maxSigners', () => {
    const policy = (n: number) =>
      `registries: [r.example]\nvulnerabilityBudget: {critical: 0, high: 0}\nsigners:\n${'  - {name: s, publicKey: k}\n'.repeat(n)}`;
    const e = configError(() => loadImagePolicy(writeTree({ 'policies/images.yaml': policy(201) }), DEFAULT_LIMITS));
    expect(e.toJSON()).toEqual({
      file: 'policies/images.yaml',
      field: 'signers',
      reason: 'lists 201 signers, over the limit of 200 (raise policies.maxSigners in policies/limits.yaml)',
    });
    // Raised, each key is parsed, and this one is no key at all.
    expect(configError(() => loadImagePolicy(writeTree({ 'policies/images.yaml': policy(201) }), parseLimits('policies: {maxSigners: 300}\n'))).field).toBe(
      'signers[0].publicKey',
    );
  });
});

describe('allowed-signers, read from git: bounded by the limits of the revision it is read from', () => {
  function repoWith(files: Record<string, string>): { dir: string; sha: string } {
    const dir = writeTree(files);
    const git = (...args: string[]) => execFileSync('git', args, { cwd: dir }).toString().trim();
    git('init', '-q');
    git('add', '-A');
    git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'signers');
    return { dir, sha: git('rev-parse', 'HEAD') };
  }
  const signers = (n: number) => `${Array.from({ length: n }, (_, i) => `p${i} namespaces="git" ssh-ed25519 AAAAC3Nza${i}`).join('\n')}\n`;

  it('refuses a file over 256 KiB before git hands it over', async () => {
    const { dir, sha } = repoWith({ 'policies/allowed-signers': paddedTo('', 256 * KIB + 1) });
    await expect(verifyCommitSignature(dir, sha)).rejects.toMatchObject({
      file: 'policies/allowed-signers',
      field: `commit ${sha.slice(0, 12)}`,
      reason: 'is 262145 bytes, over the limit of 262144 bytes (256 KiB; raise policies.maxBytes in policies/limits.yaml)',
    });
  });

  it('refuses more than 200 keys, and takes a raised limit from the same revision', async () => {
    const over = repoWith({ 'policies/allowed-signers': signers(201) });
    await expect(verifyCommitSignature(over.dir, over.sha)).rejects.toMatchObject({
      file: 'policies/allowed-signers',
      reason: 'lists 201 signers, over the limit of 200 (raise policies.maxSigners in policies/limits.yaml)',
    });
    // Within a raised limit the file is read, and the unsigned commit is refused by the signature gate instead.
    const raised = repoWith({ 'policies/allowed-signers': signers(201), [LIMITS]: 'policies: {maxSigners: 201}\n' });
    await expect(verifyCommitSignature(raised.dir, raised.sha)).rejects.toMatchObject({ reason: 'the commit is not signed' });
  });
});
