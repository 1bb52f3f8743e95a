/**
 * Every config-repo input Lucid refuses, as whole trees: the refusals of the
 * config unit suites (test/config/*.test.ts), of test/reconcile/bad-input.test.ts,
 * the strict .env syntax and the size and count limits. gate-parity.test.ts runs
 * each through the console's gate and a cluster's prepare step; a new refusal
 * belongs here so both sides are held to it.
 */
import { ALLOWLIST_FILE, COMPOSE_FILE, INVENTORY_FILE, OPT_OUT_FILE, VALID_COMPOSE, VALID_INVENTORY, envFile, planeLabels } from './fixture-tree';

export type Files = Record<string, string | null>;

export interface RefusedInput {
  name: string;
  /** Files over the valid two-cluster tree of fixture-tree.ts (null: left out). */
  files: Files;
  /** Symlinks to create in the tree (path -> target): git stores them as such. */
  symlinks?: Record<string, string>;
  file: string;
  field: string | RegExp;
  /** Which rule refused it, where the file and field alone do not say. */
  reason?: RegExp;
}

const NODE_ENV = 'clusters/edge-node-1/.env';
const SESS_ENV = 'clusters/sess-1/.env';
const LIMITS = 'policies/limits.yaml';
const IMAGES = 'policies/images.yaml';
const SIGNERS = 'policies/allowed-signers';
const LINE = /^line \d+, column \d+$/;

/** A tree whose only cluster `a` has the given clusters.yaml entry body (inventory.test.ts's oneCluster). */
function oneCluster(entry: string, head = ''): Files {
  return { [INVENTORY_FILE]: `${head}clusters:\n  - id: a\n${entry}`, 'clusters/a/.env': envFile('a', ['node']) };
}
const A_NODE = '    group: node\n    profiles: [node]\n    env: clusters/a/.env\n';

const withService = (yaml: string): Files => ({ [COMPOSE_FILE]: VALID_COMPOSE + yaml });
const inventoryWith = (group: string, profiles: string[]) =>
  VALID_INVENTORY.replace('group: node\n    profiles: [node]', `group: ${group}\n    profiles: [${profiles.join(', ')}]`);
const nodeEnv = (set: Record<string, string | null>): Files => ({ [NODE_ENV]: envFile('edge-node-1', ['node'], { set }) });
const sessEnv = (set: Record<string, string | null>): Files => ({ [SESS_ENV]: envFile('sess-1', ['sessions'], { set }) });
const withWaves = (waves: string): Files => ({ [INVENTORY_FILE]: `${waves}\n${VALID_INVENTORY.replace('wave: edge', 'wave: canary')}` });
const TWO_GROUPS = '  sessions: {profiles: [sessions], services: [sessions-gateway, sessions-index]}\n';

/** `n` lines of YAML comment: a file made big without changing what it says. */
const padding = (bytes: number) => `# ${'x'.repeat(77)}\n`.repeat(Math.ceil(bytes / 80));

const inventoryCases: RefusedInput[] = [
  { name: 'missing clusters.yaml', files: { [INVENTORY_FILE]: null }, file: INVENTORY_FILE, field: '(file)' },
  {
    name: 'clusters.yaml is a directory',
    files: { [INVENTORY_FILE]: null, [`${INVENTORY_FILE}/README`]: 'not a file\n' },
    file: INVENTORY_FILE,
    field: '(file)',
  },
  { name: 'YAML syntax error in clusters.yaml', files: { [INVENTORY_FILE]: 'clusters:\n  - id: a\n    profiles: [node\n    group: node\n' }, file: INVENTORY_FILE, field: LINE },
  { name: 'YAML syntax error in clusters.yaml (bracket)', files: { [INVENTORY_FILE]: VALID_INVENTORY.replace('[node]', '[node') }, file: INVENTORY_FILE, field: LINE },
  { name: 'bad indentation in clusters.yaml', files: { [INVENTORY_FILE]: 'clusters:\n  - id: a\n  id: b\n' }, file: INVENTORY_FILE, field: LINE },
  { name: 'empty clusters.yaml', files: { [INVENTORY_FILE]: '' }, file: INVENTORY_FILE, field: '(root)' },
  { name: 'no clusters', files: { [INVENTORY_FILE]: 'clusters: []\n' }, file: INVENTORY_FILE, field: 'clusters' },
  { name: 'empty waves list', files: oneCluster(A_NODE, 'waves: []\n'), file: INVENTORY_FILE, field: 'waves' },
  { name: 'unknown top-level key', files: oneCluster(A_NODE, 'version: 2\n'), file: INVENTORY_FILE, field: '(root)' },
  { name: 'unknown key in a cluster', files: oneCluster(`${A_NODE}    region: eu\n`), file: INVENTORY_FILE, field: 'clusters[0]' },
  { name: 'unknown profile in clusters.yaml', files: oneCluster('    group: node\n    profiles: [node, gpu]\n    env: clusters/a/.env\n'), file: INVENTORY_FILE, field: 'clusters[0].profiles[1]' },
  { name: 'unknown profile in a multi-profile cluster', files: { [INVENTORY_FILE]: inventoryWith('node', ['node', 'gpu']) }, file: INVENTORY_FILE, field: 'clusters[0].profiles[1]' },
  {
    name: 'unknown profile in the second cluster',
    files: { [INVENTORY_FILE]: VALID_INVENTORY.replace('profiles: [sessions]', 'profiles: [sessions, session]') },
    file: INVENTORY_FILE,
    field: 'clusters[1].profiles[1]',
  },
  { name: 'empty profile list', files: oneCluster('    group: node\n    profiles: []\n    env: clusters/a/.env\n'), file: INVENTORY_FILE, field: 'clusters[0].profiles' },
  { name: 'profile listed twice', files: { [INVENTORY_FILE]: VALID_INVENTORY.replace('profiles: [sessions]', 'profiles: [sessions, sessions]') }, file: INVENTORY_FILE, field: 'clusters[1].profiles' },
  { name: 'unknown group', files: oneCluster('    group: gpu\n    profiles: [node]\n    env: clusters/a/.env\n'), file: INVENTORY_FILE, field: 'clusters[0].group' },
  { name: 'missing group', files: oneCluster('    profiles: [node]\n    env: clusters/a/.env\n'), file: INVENTORY_FILE, field: 'clusters[0].group' },
  ...['Edge-1', '-edge', 'edge_1', 'a'.repeat(41), ''].map(
    (id): RefusedInput => ({
      name: `cluster id ${JSON.stringify(id)}`,
      files: { [INVENTORY_FILE]: `clusters:\n  - id: "${id}"\n    group: node\n    profiles: [node]\n    env: clusters/x/.env\n` },
      file: INVENTORY_FILE,
      field: 'clusters[0].id',
    }),
  ),
  { name: 'duplicate cluster id', files: { [INVENTORY_FILE]: VALID_INVENTORY.replace('id: sess-1', 'id: edge-node-1') }, file: INVENTORY_FILE, field: 'clusters[1].id' },
  {
    name: 'a later duplicate cluster id',
    files: {
      [INVENTORY_FILE]: ['a', 'b', 'c', 'b'].map((id) => `  - {id: ${id}, group: node, profiles: [node], env: clusters/${id}/.env}\n`).join('').replace(/^/, 'clusters:\n'),
      'clusters/a/.env': envFile('a', ['node']),
      'clusters/b/.env': envFile('b', ['node']),
      'clusters/c/.env': envFile('c', ['node']),
    },
    file: INVENTORY_FILE,
    field: 'clusters[3].id',
  },
  { name: 'missing env file', files: { [SESS_ENV]: null }, file: INVENTORY_FILE, field: 'clusters[1].env' },
  { name: 'missing env file of the first cluster', files: { [NODE_ENV]: null }, file: INVENTORY_FILE, field: 'clusters[0].env' },
  { name: 'env path not clusters/<id>/.env', files: oneCluster('    group: node\n    profiles: [node]\n    env: clusters/a/env\n'), file: INVENTORY_FILE, field: 'clusters[0].env' },
  {
    name: 'env path escaping clusters/<id>/',
    files: { [INVENTORY_FILE]: VALID_INVENTORY.replace('env: clusters/sess-1/.env', 'env: clusters/../.env'), '.env': envFile('sess-1', ['sessions']) },
    file: INVENTORY_FILE,
    field: 'clusters[1].env',
  },
  { name: 'wave not in the default waves', files: oneCluster('    group: node\n    profiles: [node]\n    wave: later\n    env: clusters/a/.env\n'), file: INVENTORY_FILE, field: 'clusters[0].wave' },
  { name: 'defaulted wave that custom waves leave out', files: { [INVENTORY_FILE]: `waves: [canary, edge]\n${VALID_INVENTORY}` }, file: INVENTORY_FILE, field: 'clusters[1].wave' },
  { name: 'wave not in custom waves', files: { [INVENTORY_FILE]: `waves: [canary, edge]\n${VALID_INVENTORY.replace('wave: edge', 'wave: late')}` }, file: INVENTORY_FILE, field: 'clusters[0].wave' },
  { name: 'badly formed wave name', files: oneCluster('    group: node\n    profiles: [node]\n    wave: Wave1\n    env: clusters/a/.env\n'), file: INVENTORY_FILE, field: 'clusters[0].wave' },
  { name: 'non-string label value', files: oneCluster(`${A_NODE}    labels: {tier: 1}\n`), file: INVENTORY_FILE, field: 'clusters[0].labels.tier' },
  { name: 'reconcile deadline too short', files: withWaves('waves:\n  - name: canary\n    reconcileTimeoutSeconds: 5\n  - core'), file: INVENTORY_FILE, field: 'waves[0].reconcileTimeoutSeconds' },
  { name: 'malformed change window', files: withWaves('waves:\n  - name: canary\n    windows: ["* 25 * * *"]\n  - core'), file: INVENTORY_FILE, field: 'waves[0].windows[0]' },
  { name: 'budget over 100%', files: withWaves('waves:\n  - name: canary\n    maxUnavailable: "150%"\n  - core'), file: INVENTORY_FILE, field: 'waves[0].maxUnavailable' },
  { name: 'duplicate wave', files: withWaves('waves: [canary, core, canary]'), file: INVENTORY_FILE, field: 'waves' },
  {
    name: 'inventory errors before compose errors',
    files: { [INVENTORY_FILE]: VALID_INVENTORY.replace('id: sess-1', 'id: edge-node-1'), [COMPOSE_FILE]: 'services:\n  x:\n    build: .\n' },
    file: INVENTORY_FILE,
    field: 'clusters[1].id',
  },
  {
    name: 'profile not allowed for the group',
    files: { [INVENTORY_FILE]: inventoryWith('node', ['node', 'admin']), [NODE_ENV]: envFile('edge-node-1', ['node', 'admin']) },
    file: INVENTORY_FILE,
    field: 'clusters[0].profiles[1]',
  },
];

const composeCases: RefusedInput[] = [
  {
    name: 'a no-profile service depending on a service one cluster leaves out',
    files: { [COMPOSE_FILE]: VALID_COMPOSE.replace('    restart: unless-stopped\n', '    restart: unless-stopped\n    depends_on: [node-worker]\n') },
    file: COMPOSE_FILE,
    field: 'services.beta.depends_on',
    reason: /depends on 'node-worker', which cluster 'sess-1' does not run/,
  },
  {
    name: 'depends_on a service that does not exist',
    files: withService('  custom:\n    image: c:1\n    depends_on: {ghost: {condition: service_started}}\n' + planeLabels('custom')),
    file: COMPOSE_FILE,
    field: 'services.custom.depends_on',
  },
  { name: 'missing compose file', files: { [COMPOSE_FILE]: null }, file: COMPOSE_FILE, field: '(file)' },
  { name: 'YAML syntax error in compose', files: { [COMPOSE_FILE]: 'services:\n  beta:\n    image: b:1\n   profiles: [node\n' }, file: COMPOSE_FILE, field: LINE },
  { name: 'YAML syntax error in compose (bracket)', files: { [COMPOSE_FILE]: VALID_COMPOSE.replace('profiles: [node]', 'profiles: [node') }, file: COMPOSE_FILE, field: LINE },
  { name: 'duplicate service key', files: { [COMPOSE_FILE]: 'services:\n  beta:\n    image: b:1\n  beta:\n    image: b:2\n' }, file: COMPOSE_FILE, field: /^line 4, column \d+$/ },
  { name: 'no services', files: { [COMPOSE_FILE]: 'volumes: {}\n' }, file: COMPOSE_FILE, field: 'services' },
  { name: 'unknown profile in a service', files: withService('  gpu-miner:\n    image: m:1\n    profiles: [node, gpu]\n'), file: COMPOSE_FILE, field: 'services.gpu-miner.profiles[1]' },
  { name: 'unknown profile of an inactive service', files: { [COMPOSE_FILE]: VALID_COMPOSE.replace('profiles: [admin]', 'profiles: [admins]') }, file: COMPOSE_FILE, field: 'services.admin-api.profiles[0]' },
  { name: 'include:', files: { [COMPOSE_FILE]: `include: [more.yml]\n${VALID_COMPOSE}` }, file: COMPOSE_FILE, field: 'include' },
  { name: 'extends:', files: withService('  custom:\n    image: c:1\n    extends: {file: other.yml, service: x}\n'), file: COMPOSE_FILE, field: 'services.custom.extends' },
  { name: 'build:', files: withService('  custom:\n    image: c:1\n    build: ./custom\n'), file: COMPOSE_FILE, field: 'services.custom.build' },
  { name: 'build: on an inactive service', files: { [COMPOSE_FILE]: VALID_COMPOSE.replace('    profiles: [admin]\n', '    profiles: [admin]\n    build: ./admin\n') }, file: COMPOSE_FILE, field: 'services.admin-api.build' },
  { name: 'empty build:', files: { [COMPOSE_FILE]: 'services:\n  custom:\n    image: c:1\n    build:\n' }, file: COMPOSE_FILE, field: 'services.custom.build' },
  { name: 'service without image', files: withService('  custom:\n    profiles: [node]\n'), file: COMPOSE_FILE, field: 'services.custom.image' },
  { name: 'inactive service without image', files: { [COMPOSE_FILE]: VALID_COMPOSE.replace('    image: registry.example/metrics:1.0.0\n', '') }, file: COMPOSE_FILE, field: 'services.metrics.image' },
  { name: 'empty image', files: { [COMPOSE_FILE]: 'services:\n  custom:\n    image: ""\n' }, file: COMPOSE_FILE, field: 'services.custom.image' },
  { name: 'build-only service', files: { [COMPOSE_FILE]: 'services:\n  custom:\n    build: .\n' }, file: COMPOSE_FILE, field: 'services.custom.image' },
  { name: 'service name not lowercase-dashed', files: withService('  Node_Worker:\n    image: w:1\n'), file: COMPOSE_FILE, field: 'services.Node_Worker' },
  { name: 'service not allowed for the group (default taxonomy)', files: withService('  node-miner:\n    image: m:1\n    profiles: [node]\n' + planeLabels('node-miner')), file: COMPOSE_FILE, field: 'services.node-miner' },
  { name: 'service without a plane label', files: withService('  node-economy:\n    image: e:1\n    profiles: [node]\n'), file: COMPOSE_FILE, field: 'services.node-economy.labels.com.lucid.plane' },
  { name: 'unknown plane', files: { [COMPOSE_FILE]: VALID_COMPOSE.replace('com.lucid.plane: chain, com.lucid.service: node-data-host', 'com.lucid.plane: data, com.lucid.service: node-data-host') }, file: COMPOSE_FILE, field: 'services.node-data-host.labels.com.lucid.plane' },
  { name: 'networks: of its own', files: { [COMPOSE_FILE]: VALID_COMPOSE.replace('    profiles: [node]\n', '    profiles: [node]\n    networks: [wallet]\n') }, file: COMPOSE_FILE, field: 'services.node-worker.networks' },
  { name: 'top-level networks:', files: { [COMPOSE_FILE]: `${VALID_COMPOSE}networks:\n  bridge-all: {}\n` }, file: COMPOSE_FILE, field: 'networks' },
  { name: 'unpaired service on the wallet plane', files: { [COMPOSE_FILE]: VALID_COMPOSE.replace('com.lucid.plane: ops, com.lucid.service: admin-api', 'com.lucid.plane: wallet, com.lucid.service: admin-api') }, file: COMPOSE_FILE, field: 'services.admin-api.labels.com.lucid.plane' },
  { name: 'expose that is not a port list', files: { [COMPOSE_FILE]: VALID_COMPOSE.replace('com.lucid.service: metrics, com.lucid.expose: "8080"', 'com.lucid.service: metrics, com.lucid.expose: "http"') }, file: COMPOSE_FILE, field: 'services.metrics.labels.com.lucid.expose' },
  { name: 'service shared with another group', files: { [COMPOSE_FILE]: VALID_COMPOSE.replace('profiles: [admin]', 'profiles: [admin, sessions]') }, file: COMPOSE_FILE, field: 'services.admin-api' },
];

/** A service of the valid tree with `fields` (YAML lines, indented as service fields) added to `beta`. */
const betaWith = (fields: string): Files => ({ [COMPOSE_FILE]: VALID_COMPOSE.replace('    restart: unless-stopped\n', `    restart: unless-stopped\n${fields}`) });
const TOR_ALLOWLIST = 'common: [beta, tor]\ngroups:\n  node: {profiles: [node], services: [node-worker, node-data-host]}\n  sessions: {profiles: [sessions], services: [sessions-gateway, sessions-index]}\n';

const runtimeCases: RefusedInput[] = [
  { name: 'runtime policy: privileged', files: betaWith('    privileged: true\n'), file: COMPOSE_FILE, field: 'services.beta.privileged', reason: /root on the Pi/ },
  { name: 'runtime policy: a bind of the Docker socket', files: betaWith('    volumes: ["/var/run/docker.sock:/s"]\n'), file: COMPOSE_FILE, field: 'services.beta.volumes', reason: /takes the Pi/ },
  { name: 'runtime policy: pid host', files: betaWith('    pid: host\n'), file: COMPOSE_FILE, field: 'services.beta.pid' },
  { name: 'runtime policy: a published port', files: betaWith('    ports: ["8080:80"]\n'), file: COMPOSE_FILE, field: 'services.beta.ports' },
  {
    name: 'runtime policy: privileged through ${PRIV} from a .env',
    files: { ...betaWith('    privileged: ${PRIV}\n'), [SESS_ENV]: envFile('sess-1', ['sessions'], { set: { PRIV: 'true' } }) },
    file: COMPOSE_FILE,
    field: 'services.beta.privileged',
    reason: /interpolation/,
  },
  {
    name: 'runtime policy: a YAML merge key',
    files: { [COMPOSE_FILE]: `x-root: &root {privileged: true}\n${VALID_COMPOSE.replace('    restart: unless-stopped\n', '    <<: *root\n')}` },
    file: COMPOSE_FILE,
    field: 'services.beta.<<',
  },
  { name: 'runtime policy: an unknown key in the policy', files: { 'policies/runtime.yaml': 'allowEverything: true\n' }, file: 'policies/runtime.yaml', field: '(root)' },
  {
    name: 'runtime policy: a service that does not wait for a healthy tor',
    files: { [ALLOWLIST_FILE]: TOR_ALLOWLIST, [COMPOSE_FILE]: `${VALID_COMPOSE}  tor:\n    image: registry.example/tor:0.4.8\n${planeLabels('tor', 'ops', '9050')}    healthcheck: {test: [CMD, "true"]}\n` },
    file: COMPOSE_FILE,
    field: 'services.beta.depends_on',
    reason: /egress/,
  },
];

const allowlistCases: RefusedInput[] = [
  { name: 'allow-list: unknown group', files: { [ALLOWLIST_FILE]: 'groups:\n  gpu: {profiles: [node], services: []}\n' }, file: ALLOWLIST_FILE, field: 'groups' },
  { name: 'allow-list: unknown profile', files: { [ALLOWLIST_FILE]: 'groups:\n  node: {profiles: [node, gpu], services: []}\n' }, file: ALLOWLIST_FILE, field: 'groups.node.profiles[1]' },
  { name: 'allow-list: group without services', files: { [ALLOWLIST_FILE]: 'groups:\n  node: {profiles: [node]}\n' }, file: ALLOWLIST_FILE, field: 'groups.node.services' },
  { name: 'allow-list: unknown key', files: { [ALLOWLIST_FILE]: 'groups:\n  node: {profiles: [node], services: [], images: []}\n' }, file: ALLOWLIST_FILE, field: 'groups.node' },
  { name: 'allow-list: YAML syntax error', files: { [ALLOWLIST_FILE]: 'groups: {node: [\n' }, file: ALLOWLIST_FILE, field: LINE },
  { name: 'allow-list: no groups', files: { [ALLOWLIST_FILE]: 'common: [beta]\n' }, file: ALLOWLIST_FILE, field: 'groups' },
  {
    name: 'service the custom allow-list does not allow',
    files: { [ALLOWLIST_FILE]: `groups:\n  node: {profiles: [node], services: [node-worker]}\n${TWO_GROUPS}` },
    file: COMPOSE_FILE,
    field: 'services.node-data-host',
  },
  {
    name: 'beta left out of common',
    files: { [ALLOWLIST_FILE]: `common: []\ngroups:\n  node: {profiles: [node], services: [node-worker, node-data-host]}\n${TWO_GROUPS}` },
    file: COMPOSE_FILE,
    field: 'services.beta',
  },
];

const envCases: RefusedInput[] = [
  { name: 'CLUSTER_ID of another cluster', files: { [SESS_ENV]: envFile('edge-node-1', ['sessions']) }, file: SESS_ENV, field: 'CLUSTER_ID' },
  { name: 'empty CLUSTER_ID', files: nodeEnv({ CLUSTER_ID: '' }), file: NODE_ENV, field: 'CLUSTER_ID' },
  { name: 'missing CLUSTER_ID', files: nodeEnv({ CLUSTER_ID: null }), file: NODE_ENV, field: 'CLUSTER_ID' },
  { name: 'missing PROFILES', files: nodeEnv({ PROFILES: null }), file: NODE_ENV, field: 'PROFILES' },
  { name: 'PROFILES unlike clusters.yaml', files: { [NODE_ENV]: envFile('edge-node-1', ['node', 'admin']) }, file: NODE_ENV, field: 'PROFILES' },
  { name: 'PROFILES with an empty entry', files: nodeEnv({ PROFILES: 'node,' }), file: NODE_ENV, field: 'PROFILES' },
  ...['ops,gpu', 'OPS', '', 'ops,,chain', 'ops,vault'].map(
    (v): RefusedInput => ({ name: `BETA_PLANES=${JSON.stringify(v)}`, files: sessEnv({ BETA_PLANES: v }), file: SESS_ENV, field: 'BETA_PLANES' }),
  ),
  { name: 'missing BETA_PLANES', files: nodeEnv({ BETA_PLANES: null }), file: NODE_ENV, field: 'BETA_PLANES' },
  ...['testnet', 'Mainnet', 'nile'].map(
    (v): RefusedInput => ({ name: `TRON_MODE=${v}`, files: sessEnv({ TRON_MODE: v }), file: SESS_ENV, field: 'TRON_MODE' }),
  ),
  ...['S3_ACCESS_KEY', 'S3_SECRET_KEY', 'LEDGER_PUBKEYS'].map(
    (k): RefusedInput => ({ name: `plaintext ${k}`, files: nodeEnv({ [k]: 'AKIAIOSFODNN7EXAMPLE' }), file: NODE_ENV, field: k }),
  ),
  { name: 'near-miss SOPS reference', files: nodeEnv({ S3_ACCESS_KEY: 'enc:sops:v2' }), file: NODE_ENV, field: 'S3_ACCESS_KEY' },
  ...['tor', 'tor:', 'tor:socks', '"tor :9050"', 'tor:123456', 'beta:99999'].map(
    (v): RefusedInput => ({ name: `TOR_SOCKS=${v}`, files: sessEnv({ TOR_SOCKS: v }), file: SESS_ENV, field: 'TOR_SOCKS' }),
  ),
  ...['0-', '0..1023', 'low-high', '900-1'].map(
    (v): RefusedInput => ({ name: `MONGO_SHARD_RANGE=${v}`, files: sessEnv({ MONGO_SHARD_RANGE: v }), file: SESS_ENV, field: 'MONGO_SHARD_RANGE' }),
  ),
  { name: 'empty MONGO_RS', files: nodeEnv({ MONGO_RS: '' }), file: NODE_ENV, field: 'MONGO_RS' },
  { name: 'schema before CLUSTER_ID ownership', files: nodeEnv({ CLUSTER_ID: 'other', TRON_MODE: 'nile' }), file: NODE_ENV, field: 'TRON_MODE' },
];

/** Lines the strict .env syntax refuses; each is appended after the valid lines (11 of them). */
const envSyntaxCases: RefusedInput[] = [
  ['a line that is not KEY=VALUE', 'this line is not KEY=VALUE'],
  ['a line without =', 'JUST_A_WORD'],
  ['export KEY=value', 'export EXTRA=1'],
  ['spaces around =', 'EXTRA = 1'],
  ['a key starting with a digit', '1EXTRA=1'],
  ['an indented line', '  EXTRA=1'],
  ['a key set twice', 'TRON_MODE=mainnet'],
  ['interpolation', 'EXTRA=${HOME}/x'],
  ['a backslash escape', 'EXTRA="a\\nb"'],
  ['a quote inside a value', 'EXTRA=it"s'],
  ['an unterminated quote', 'EXTRA="open'],
  ['text after the closing quote', "EXTRA='a' b"],
  ['a control character', 'EXTRA=a\u0007b'],
].map(([what, line]) => ({
  name: `.env: ${what}`,
  files: { [SESS_ENV]: `${envFile('sess-1', ['sessions'])}${line}\n` },
  file: SESS_ENV,
  field: 'line 12',
}));

/** A valid clusters.yaml with `n` clusters, for count limits (their env files need not exist: the count is checked first). */
const manyClusters = (n: number) =>
  `clusters:\n${Array.from({ length: n }, (_, i) => `  - {id: c${i}, group: node, profiles: [node], env: clusters/c${i}/.env}\n`).join('')}`;

const limitCases: RefusedInput[] = [
  { name: 'clusters.yaml over 1 MiB of comments', files: { [INVENTORY_FILE]: VALID_INVENTORY + padding(1024 * 1024 + 1) }, file: INVENTORY_FILE, field: '(file)' },
  { name: '10,001 clusters', files: { [INVENTORY_FILE]: manyClusters(10_001) }, file: INVENTORY_FILE, field: 'clusters' },
  { name: 'compose file over 1 MiB', files: { [COMPOSE_FILE]: VALID_COMPOSE + padding(1024 * 1024) }, file: COMPOSE_FILE, field: '(file)' },
  {
    name: '501 services',
    files: withService(Array.from({ length: 494 }, (_, i) => `  extra-${i}:\n    image: e:1\n    profiles: [admin]\n`).join('')),
    file: COMPOSE_FILE,
    field: 'services',
  },
  { name: '.env over 64 KiB', files: { [SESS_ENV]: envFile('sess-1', ['sessions']) + padding(64 * 1024) }, file: SESS_ENV, field: '(file)' },
  {
    name: '.env with 10,000 keys',
    files: nodeEnv(Object.fromEntries(Array.from({ length: 9990 }, (_, i) => [`K${i}`, '1']))),
    file: NODE_ENV,
    field: '(file)',
    reason: /^is \d+ bytes, over the limit of 65536 bytes/,
  },
  {
    name: '.env with 501 keys',
    files: nodeEnv(Object.fromEntries(Array.from({ length: 491 }, (_, i) => [`K${i}`, '1']))),
    file: NODE_ENV,
    field: '(file)',
    reason: /^lists 501 keys, over the limit of 500/,
  },
  { name: 'allow-list over 256 KiB', files: { [ALLOWLIST_FILE]: padding(256 * 1024 + 1) }, file: ALLOWLIST_FILE, field: '(file)' },
  { name: 'image policy over 256 KiB', files: { [IMAGES]: padding(256 * 1024 + 1) }, file: IMAGES, field: '(file)' },
  {
    name: 'image policy with 201 signers',
    files: { [IMAGES]: `registries: [r.example]\nvulnerabilityBudget: {critical: 0, high: 0}\nsigners:\n${'  - {name: s, publicKey: k}\n'.repeat(201)}` },
    file: IMAGES,
    field: 'signers',
  },
  { name: 'invalid image policy', files: { [IMAGES]: 'registries: []\n' }, file: IMAGES, field: 'registries' },
  { name: 'secrets file over 1 MiB', files: { 'secrets/sess-1.enc.yaml': padding(1024 * 1024 + 1) }, file: 'secrets/sess-1.enc.yaml', field: '(file)' },
  {
    name: 'secrets file with 501 secrets',
    files: { 'secrets/edge-node-1.enc.yaml': `${Array.from({ length: 501 }, (_, i) => `S${i}: ENC[x]\n`).join('')}sops: {}\n` },
    file: 'secrets/edge-node-1.enc.yaml',
    field: '(file)',
  },
  { name: 'secrets file with a YAML syntax error', files: { 'secrets/sess-1.enc.yaml': 'a: [\n' }, file: 'secrets/sess-1.enc.yaml', field: LINE },
  { name: 'allowed-signers over 256 KiB', files: { [SIGNERS]: padding(256 * 1024 + 1) }, file: SIGNERS, field: /^commit [0-9a-f]{12}$/ },
  {
    name: 'allowed-signers with 201 keys',
    files: { [SIGNERS]: `${Array.from({ length: 201 }, (_, i) => `p${i} ssh-ed25519 AAAA${i}`).join('\n')}\n` },
    file: SIGNERS,
    field: /^commit [0-9a-f]{12}$/,
  },
  { name: 'limits file over its fixed 16 KiB', files: { [LIMITS]: padding(16 * 1024 + 1) }, file: LIMITS, field: '(file)' },
  { name: 'limits file with an unknown section', files: { [LIMITS]: 'clusters: {maxBytes: 1}\n' }, file: LIMITS, field: '(root)' },
  { name: 'limit over its ceiling', files: { [LIMITS]: 'inventory: {maxBytes: 64 MiB}\n' }, file: LIMITS, field: 'inventory.maxBytes', reason: /at most 16 MiB/ },
  { name: 'limit that is no size', files: { [LIMITS]: 'inventory: {maxBytes: 1 GiB}\n' }, file: LIMITS, field: 'inventory.maxBytes' },
  { name: 'limit of zero', files: { [LIMITS]: 'compose: {maxServices: 0}\n' }, file: LIMITS, field: 'compose.maxServices' },
  {
    name: 'a limit lowered below what the tree needs',
    files: { [LIMITS]: 'inventory: {maxClusters: 1}\n' },
    file: INVENTORY_FILE,
    field: 'clusters',
  },
  { name: '.env that is a symlink out of the tree', files: { [SESS_ENV]: null }, symlinks: { [SESS_ENV]: '/etc/passwd' }, file: SESS_ENV, field: '(file)' },
];

/**
 * The gates are on by default; the valid tree opts out of both in policies/lucid.yaml. These
 * commits are children of that tree, whose lucid.yaml is the one that counts for the signature
 * gate (read from the parent), so what they change shows in the image gates and the file itself.
 */
const optOutCases: RefusedInput[] = [
  { name: 'opt-out deleted: the image gates are on again at once', files: { [OPT_OUT_FILE]: null }, file: IMAGES, field: '(file)', reason: /^missing: images must be pinned/ },
  {
    name: 'opt-out of commit signatures only: the image gates stay on',
    files: { [OPT_OUT_FILE]: 'insecure: {unsignedCommits: true}\n' },
    file: IMAGES,
    field: '(file)',
    reason: /insecure: \{unpinnedImages: true\} in policies\/lucid\.yaml/,
  },
  { name: 'opt-out set to false', files: { [OPT_OUT_FILE]: 'insecure: {unsignedCommits: true, unpinnedImages: false}\n' }, file: IMAGES, field: '(file)' },
  { name: 'opt-out with a misspelt gate', files: { [OPT_OUT_FILE]: 'insecure: {unpinnedImage: true}\n' }, file: OPT_OUT_FILE, field: 'insecure', reason: /unpinnedImage/ },
  { name: 'opt-out that is not a boolean', files: { [OPT_OUT_FILE]: 'insecure: {unpinnedImages: "yes"}\n' }, file: OPT_OUT_FILE, field: 'insecure.unpinnedImages' },
  { name: 'lucid.yaml with an unknown top-level key', files: { [OPT_OUT_FILE]: 'secure: false\n' }, file: OPT_OUT_FILE, field: '(root)' },
  { name: 'lucid.yaml with a YAML syntax error', files: { [OPT_OUT_FILE]: 'insecure: {unpinnedImages: true\n' }, file: OPT_OUT_FILE, field: LINE },
  { name: 'lucid.yaml over its fixed 4 KiB', files: { [OPT_OUT_FILE]: `insecure: {unpinnedImages: true}\n${padding(4096)}` }, file: OPT_OUT_FILE, field: '(file)' },
];

export const REFUSED_INPUTS: RefusedInput[] = [
  ...inventoryCases,
  ...composeCases,
  ...runtimeCases,
  ...allowlistCases,
  ...envCases,
  ...envSyntaxCases,
  ...limitCases,
  ...optOutCases,
];
