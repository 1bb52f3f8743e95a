/**
 * The runtime gate (policies/runtime.yaml) over fixture config trees: every
 * refusal and every allowance, as the console, the rollout and each cluster
 * meet them through checkCommitGates.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadFleetConfig } from '../../config/fleet-config';
import { DEFAULT_RUNTIME_POLICY, parseRuntimePolicy } from '../../config/runtime-policy';
import { checkResolvedRuntime, checkRuntimeGate } from '../../supply-chain/runtime-gate';
import { ALLOWLIST_FILE, COMPOSE_FILE, VALID_COMPOSE, configError, planeLabels, removeTrees, writeTree } from '../config/fixture-tree';

const POLICY = 'policies/runtime.yaml';
afterEach(removeTrees);

/** The valid tree whose no-profile `beta` service also has `fields` (YAML lines, indented as service fields). */
const betaWith = (fields: string, extra: Record<string, string | null> = {}) =>
  writeTree({ [COMPOSE_FILE]: VALID_COMPOSE.replace('    restart: unless-stopped\n', `    restart: unless-stopped\n${fields}`), ...extra });
const gate = (dir: string) => checkRuntimeGate(dir, loadFleetConfig(dir));
const refusal = (dir: string) => configError(() => gate(dir));

describe('the runtime gate refuses what takes the Pi', () => {
  it('reads exactly compose/docker-compose.yml: services.<name>.<field>: <reason>', () => {
    const e = refusal(betaWith('    privileged: true\n'));
    expect(e.message).toBe(
      "compose/docker-compose.yml: services.beta.privileged: privileged: true gives the container every capability and every host device (root on the Pi); " +
        "policies/runtime.yaml does not allow it for 'beta' (allow: {beta: {privileged: true}})",
    );
  });

  it.each<[string, string, string, RegExp]>([
    ['privileged: "true"', '    privileged: "true"\n', 'privileged', /root on the Pi/],
    ['network_mode: host', '    network_mode: host\n', 'network_mode', /out of its plane network \(network_mode: 'host'\).*network_mode: \["host"\]/],
    ['network_mode: container:x', '    network_mode: "container:abc"\n', 'network_mode', /'container:abc'/],
    ['network_mode: service:x', '    network_mode: "service:metrics"\n', 'network_mode', /'service:metrics'/],
    ['network_mode: bridge', '    network_mode: bridge\n', 'network_mode', /'bridge'/],
    ['pid: host', '    pid: host\n', 'pid', /every process of the Pi/],
    ['pid: service:x', '    pid: "service:metrics"\n', 'pid', /'service:metrics'/],
    ['ipc: host', '    ipc: host\n', 'ipc', /IPC namespace/],
    ['uts: host', '    uts: host\n', 'uts', /hostname namespace/],
    ['userns_mode: host', '    userns_mode: host\n', 'userns_mode', /remapping off/],
    ['cgroup: host', '    cgroup: host\n', 'cgroup', /cgroup namespace/],
    ['cgroup_parent', '    cgroup_parent: /system.slice\n', 'cgroup_parent', /cgroup of the host/],
    ['cap_add: [SYS_ADMIN]', '    cap_add: [SYS_ADMIN]\n', 'cap_add', /capabilities \(SYS_ADMIN\).*cap_add: \["SYS_ADMIN"\]/],
    ['cap_add: [CAP_NET_RAW]', '    cap_add: [CAP_NET_RAW]\n', 'cap_add', /\(NET_RAW\)/],
    ['cap_add: [ALL]', '    cap_add: [ALL]\n', 'cap_add', /\(ALL\)/],
    ['devices', '    devices: ["/dev/mem:/dev/mem"]\n', 'devices', /host devices/],
    ['device_cgroup_rules', '    device_cgroup_rules: ["c 1:1 rwm"]\n', 'device_cgroup_rules', /host devices/],
    ['gpus', '    gpus: all\n', 'gpus', /host devices/],
    ['deploy device reservations', '    deploy: {resources: {reservations: {devices: [{capabilities: [gpu]}]}}}\n', 'deploy.resources.reservations.devices', /host devices/],
    ['security_opt seccomp unconfined', '    security_opt: ["seccomp:unconfined"]\n', 'security_opt', /'seccomp:unconfined' turns the container's confinement off/],
    ['security_opt apparmor=unconfined', '    security_opt: ["apparmor=unconfined"]\n', 'security_opt', /confinement off/],
    ['security_opt label:disable', '    security_opt: ["label:disable"]\n', 'security_opt', /confinement off/],
    ['security_opt no-new-privileges:false', '    security_opt: ["no-new-privileges:false"]\n', 'security_opt', /confinement off/],
    ['security_opt seccomp profile', '    security_opt: ["seccomp=/srv/profile.json"]\n', 'security_opt', /changes the container's confinement/],
    ['sysctls (map)', '    sysctls: {net.ipv4.ip_forward: 1}\n', 'sysctls', /kernel parameters \(net\.ipv4\.ip_forward\)/],
    ['sysctls (list)', '    sysctls: ["kernel.shm_rmid_forced=1"]\n', 'sysctls', /\(kernel\.shm_rmid_forced\)/],
    ['a bind of /', '    volumes: ["/:/host"]\n', 'volumes', /binds the host path '\/', which takes the Pi \(its whole file system\)/],
    ['a bind of the Docker socket', '    volumes: ["/var/run/docker.sock:/var/run/docker.sock"]\n', 'volumes', /'\/var\/run\/docker\.sock', which takes the Pi/],
    ['a bind of /run/docker.sock', '    volumes: ["/run/docker.sock:/s:ro"]\n', 'volumes', /'\/run\/docker\.sock'/],
    ['a bind of a file under /etc', '    volumes: ["/etc/shadow:/s:ro"]\n', 'volumes', /'\/etc\/shadow', which takes the Pi \(\/etc\)/],
    ['a bind above a host-taking path', '    volumes: ["/var:/v"]\n', 'volumes', /'\/var', which takes the Pi \(\/var\/run\/docker\.sock\)/],
    ['a bind that climbs back to /proc', '    volumes: ["/srv/../proc:/p"]\n', 'volumes', /'\/proc', which takes the Pi/],
    ...['/sys', '/dev', '/root', '/boot', '/var/lib/docker/volumes'].map((p): [string, string, string, RegExp] => [`a bind of ${p}`, `    volumes: ["${p}:/x"]\n`, 'volumes', /which takes the Pi/]),
    ['a bind of any other host path', '    volumes: ["/srv/data:/data"]\n', 'volumes', /binds the host path '\/srv\/data' into the container.*volumes: \["\/srv\/data"\]/],
    ['a relative bind', '    volumes: ["./data:/data"]\n', 'volumes', /^binds '\.\/data', relative to the work tree or a home directory; a bind mount names an absolute host path$/],
    ['a bind of a home directory', '    volumes: ["~/.ssh:/k"]\n', 'volumes', /^binds '~\/\.ssh', relative/],
    ['a long-form bind', '    volumes: [{type: bind, source: /, target: /host}]\n', 'volumes', /binds the host path '\/'/],
    ['a long-form npipe', '    volumes: [{type: npipe, source: x, target: /x}]\n', 'volumes', /mounts a 'npipe'/],
    ['volumes_from', '    volumes_from: [metrics]\n', 'volumes_from', /another container's volumes \('metrics'\)/],
    ['ports (short)', '    ports: ["8080:80"]\n', 'ports', /publishes a port on the Pi's own interfaces.*ports: true/],
    ['ports (long)', '    ports: [{target: 80, published: 8080}]\n', 'ports', /publishes a port/],
    ['runtime', '    runtime: sysbox-runc\n', 'runtime', /replaces the container runtime/],
    ['env_file', '    env_file: [/etc/environment]\n', 'env_file', /a file the gates do not see/],
    ['label_file', '    label_file: ./labels\n', 'label_file', /a file the gates do not see/],
    ['a post_start hook', '    post_start: [{command: id, privileged: true}]\n', 'post_start', /lifecycle hook/],
    ['a pre_stop hook', '    pre_stop: [{command: id}]\n', 'pre_stop', /lifecycle hook/],
    ['use_api_socket (a field the policy does not know)', '    use_api_socket: true\n', 'use_api_socket', /not a service field the runtime policy knows/],
    ['provider (runs a binary on the host)', '    provider: {type: model}\n', 'provider', /not a service field the runtime policy knows/],
  ])('%s', (_name, fields, field, reason) => {
    const e = refusal(betaWith(fields));
    expect(e.file).toBe(COMPOSE_FILE);
    expect(e.field).toBe(`services.beta.${field}`);
    expect(e.reason).toMatch(reason);
  });

  it.each([
    ['a host path through driver_opts', 'driver_opts: {type: none, o: bind, device: /}', /driver_opts mount '\/' of the host/],
    ['driver_opts of any kind', 'driver_opts: {type: nfs}', /it sets driver_opts/],
    ['a volume driver', 'driver: sshfs', /volume driver 'sshfs'/],
    ['an external volume', 'external: true', /is external/],
    ['an engine volume name', 'name: lucid-walletd_keys', /names its engine volume 'lucid-walletd_keys'/],
  ])('a named volume with %s', (_name, def, reason) => {
    const dir = betaWith('    volumes: ["data:/data"]\n');
    fs.appendFileSync(path.join(dir, COMPOSE_FILE), `volumes:\n  data: {${def}}\n`);
    const e = refusal(dir);
    expect(e.field).toBe('services.beta.volumes');
    expect(e.reason).toMatch(reason);
  });

  it.each([
    ['privileged', '    privileged: ${PRIV}\n', 'services.beta.privileged'],
    ['a bind source', '    volumes: ["${DATA}:/data"]\n', 'services.beta.volumes'],
    ['cap_add', '    cap_add: ["${CAP:-NET_ADMIN}"]\n', 'services.beta.cap_add'],
    ['network_mode, even escaped', '    network_mode: "$$x"\n', 'services.beta.network_mode'],
  ])("refuses '$' interpolation in %s, which a .env or the worker's environment would change", (_name, fields, field) => {
    const e = refusal(betaWith(fields));
    expect(e.field).toBe(field);
    expect(e.reason).toMatch(/uses '\$' interpolation/);
  });

  it("refuses '$' interpolation in a top-level volume definition", () => {
    const dir = writeTree();
    fs.appendFileSync(path.join(dir, COMPOSE_FILE), 'volumes:\n  data: {driver_opts: {device: "${HOST_DIR}"}}\n');
    expect(refusal(dir).field).toBe('volumes.data');
  });

  it('refuses YAML merge keys, which Compose follows and the gates would not', () => {
    const dir = writeTree({ [COMPOSE_FILE]: `x-root: &root {privileged: true}\n${VALID_COMPOSE.replace('    restart: unless-stopped\n', '    <<: *root\n')}` });
    const e = refusal(dir);
    expect(e.field).toBe('services.beta.<<');
    expect(e.reason).toMatch(/merge keys are not allowed/);
  });

  it("refuses a config read from the worker's environment", () => {
    const dir = writeTree({ [COMPOSE_FILE]: `${VALID_COMPOSE}configs:\n  key: {environment: LUCID_AGE_IDENTITY}\n` });
    expect(refusal(dir)).toMatchObject({ field: 'configs.key.environment' });
  });

  it.each([
    ['a host path', '/etc/shadow'],
    ['a path out of the work tree', '../../../etc/shadow'],
    ['a symbolic link out of the tree', './link'],
    ['a file the commit does not have', './missing'],
  ])('refuses a config file that is %s', (_name, file) => {
    const dir = writeTree({ [COMPOSE_FILE]: `${VALID_COMPOSE}configs:\n  c: {file: "${file}"}\n` });
    fs.symlinkSync('/etc/hostname', path.join(dir, 'compose', 'link'));
    const e = refusal(dir);
    expect(e.field).toBe('configs.c.file');
    expect(e.reason).toMatch(/not a regular file of the commit/);
  });

  it('checks services no cluster runs too: the commit is judged as a whole', () => {
    const dir = writeTree({ [COMPOSE_FILE]: VALID_COMPOSE.replace('    profiles: [observability]\n', '    profiles: [observability]\n    pid: host\n') });
    expect(refusal(dir).field).toBe('services.metrics.pid');
  });
});

describe('what passes without an allowance', () => {
  it.each([
    ['the valid fleet', ''],
    ['privileged: false', '    privileged: false\n'],
    ['ipc private and cgroup private', '    ipc: private\n    cgroup: private\n'],
    ['cap_drop', '    cap_drop: [ALL]\n'],
    ['no-new-privileges', '    security_opt: ["no-new-privileges:true", "no-new-privileges"]\n'],
    ['an anonymous volume, tmpfs and read_only', '    volumes: ["/cache", {type: tmpfs, target: /run}]\n    read_only: true\n    tmpfs: [/tmp]\n'],
    ['expose (no host port)', '    expose: ["8080"]\n'],
    ['x- extension fields', '    x-note: anything\n'],
    ['an empty ports list', '    ports: []\n'],
    ['interpolation in environment', '    environment: {CLUSTER: "${CLUSTER_ID}"}\n'],
  ])('%s', (_name, fields) => {
    expect(gate(betaWith(fields))).toEqual(DEFAULT_RUNTIME_POLICY);
  });

  it('a plain named volume of the project, and a config from a file of the commit', () => {
    const dir = betaWith('    volumes: ["data:/data", {type: volume, source: data, target: /d2}]\n    configs: [torrc]\n');
    fs.appendFileSync(path.join(dir, COMPOSE_FILE), 'volumes:\n  data: {driver: local}\nconfigs:\n  torrc: {file: ./torrc}\n  inline: {content: "x"}\n');
    fs.writeFileSync(path.join(dir, 'compose', 'torrc'), 'SocksPort 9050\n');
    expect(() => gate(dir)).not.toThrow();
  });
});

describe('allowances are per service and per field', () => {
  const allow = (yaml: string) => ({ [POLICY]: yaml });

  it('a list of fields allows each wholesale, for that service only', () => {
    const fields = '    ports: ["9050:9050"]\n';
    expect(() => gate(betaWith(fields, allow('allow:\n  beta: [ports]\n')))).not.toThrow();
    expect(refusal(betaWith(fields, allow('allow:\n  tor: [ports]\n'))).field).toBe('services.beta.ports');
  });

  it('privileged: true', () => {
    expect(() => gate(betaWith('    privileged: true\n', allow('allow:\n  beta: {privileged: true}\n')))).not.toThrow();
  });

  it('capabilities by name', () => {
    const policy = allow('allow:\n  beta: {cap_add: [NET_ADMIN]}\n');
    expect(() => gate(betaWith('    cap_add: [NET_ADMIN, CAP_NET_ADMIN]\n', policy))).not.toThrow();
    expect(refusal(betaWith('    cap_add: [NET_ADMIN, SYS_ADMIN]\n', policy)).reason).toMatch(/\(SYS_ADMIN\)/);
  });

  it('a namespace mode by value', () => {
    const policy = allow('allow:\n  beta: {network_mode: [host]}\n');
    expect(() => gate(betaWith('    network_mode: host\n', policy))).not.toThrow();
    expect(refusal(betaWith('    network_mode: "service:metrics"\n', policy)).field).toBe('services.beta.network_mode');
  });

  it('a host path and what lies under it, but no host-taking path except by its exact name', () => {
    const policy = allow('allow:\n  beta: {volumes: [/srv/beta/, /var, /var/run/docker.sock]}\n');
    expect(() => gate(betaWith('    volumes: ["/srv/beta:/b", "/srv/beta/cache/:/c", "/var/run/docker.sock:/s"]\n', policy))).not.toThrow();
    expect(refusal(betaWith('    volumes: ["/srv/betamax:/b"]\n', policy)).reason).toMatch(/'\/srv\/betamax'/);
    expect(refusal(betaWith('    volumes: ["/var/lib/docker:/d"]\n', policy)).reason).toMatch(/which takes the Pi/);
    expect(refusal(betaWith('    volumes: ["/:/host"]\n', allow('allow:\n  beta: {volumes: [/srv]}\n'))).reason).toMatch(/whole file system/);
  });

  it('no allowance lets a relative bind through: Compose would bind the per-commit work tree', () => {
    expect(refusal(betaWith('    volumes: ["./data:/data"]\n', allow('allow:\n  beta: {volumes: ["./data"]}\n'))).reason).toMatch(/relative/);
    expect(refusal(betaWith('    volumes: ["./data:/data"]\n', allow('allow:\n  beta: {volumes: true}\n'))).reason).toMatch(/relative/);
  });

  it('a named volume that reaches past the volume store, by its name', () => {
    const dir = betaWith('    volumes: ["media:/media"]\n', allow('allow:\n  beta: {volumes: [media]}\n'));
    fs.appendFileSync(path.join(dir, COMPOSE_FILE), 'volumes:\n  media: {driver_opts: {type: none, o: bind, device: /mnt/usb}}\n');
    expect(() => gate(dir)).not.toThrow();
  });

  it('security options, sysctls and devices by value', () => {
    const policy = allow('allow:\n  beta:\n    security_opt: ["apparmor=unconfined"]\n    sysctls: [net.ipv4.ip_forward]\n    devices: [/dev/net/tun]\n');
    const fields = '    security_opt: ["apparmor=unconfined"]\n    sysctls: {net.ipv4.ip_forward: 1}\n    devices: ["/dev/net/tun"]\n';
    expect(() => gate(betaWith(fields, policy))).not.toThrow();
  });
});

describe('the Tor egress dependency (SPEC-3 M7)', () => {
  const TOR_ALLOWLIST =
    'common: [beta, tor]\ngroups:\n  node: {profiles: [node], services: [node-worker, node-data-host]}\n  sessions: {profiles: [sessions], services: [sessions-gateway, sessions-index]}\n';
  /** The tor service with these service fields after its image and plane labels. */
  const torWith = (fields = '') => `  tor:\n    image: registry.example/tor:0.4.8\n${planeLabels('tor', 'ops', '9050')}${fields}`;
  const HEALTHY_TOR = torWith('    healthcheck: {test: [CMD, tor-check]}\n');
  const WAITS = '    depends_on: {tor: {condition: service_healthy, restart: true}}\n';
  /** Every service of the valid fleet waits for tor, healthy; `edit` then breaks what a case breaks. */
  const fleetWithTor = (edit: (compose: string) => string = (c) => c, tor = HEALTHY_TOR, extra: Record<string, string> = {}) =>
    writeTree({
      [ALLOWLIST_FILE]: TOR_ALLOWLIST,
      [COMPOSE_FILE]: edit(VALID_COMPOSE.replace(/^(    image: .*\n)/gm, `$1${WAITS}`) + tor),
      ...extra,
    });

  it('passes when tor has a healthcheck and every other service waits for it, healthy', () => {
    expect(() => gate(fleetWithTor())).not.toThrow();
  });

  it('applies only where the egress service runs', () => {
    const dir = writeTree({
      [ALLOWLIST_FILE]: TOR_ALLOWLIST.replace('services: [node-worker, node-data-host]', 'services: [node-worker, node-data-host, tor]'),
      [COMPOSE_FILE]: `${VALID_COMPOSE}${HEALTHY_TOR}    profiles: [node]\n`,
    });
    const e = refusal(dir);
    expect(e.message).toBe(
      "compose/docker-compose.yml: services.beta.depends_on: must wait for the egress service: depends_on: {tor: {condition: service_healthy, restart: true}}, " +
        "so nothing on cluster 'edge-node-1' runs without its Tor egress",
    );
  });

  it.each([
    ['no healthcheck', torWith()],
    ['a disabled healthcheck', torWith('    healthcheck: {disable: true}\n')],
    ['a NONE healthcheck', torWith('    healthcheck: {test: [NONE]}\n')],
    ['a healthcheck with no test (the image decides)', torWith('    healthcheck: {interval: 5s}\n')],
  ])('refuses a tor service with %s', (_name, tor) => {
    const e = refusal(fleetWithTor(undefined, tor));
    expect(e.field).toBe('services.tor.healthcheck');
    expect(e.reason).toMatch(/the egress service 'tor' needs a healthcheck of its own/);
  });

  it.each([
    ['does not depend on tor', (c: string) => c.replace(`    image: registry.example/beta:1.4.0\n${WAITS}`, '    image: registry.example/beta:1.4.0\n')],
    ['depends on tor as a list (started, not healthy)', (c: string) => c.replace(`    image: registry.example/beta:1.4.0\n${WAITS}`, '    image: registry.example/beta:1.4.0\n    depends_on: [tor]\n')],
    ['waits for tor only to start', (c: string) => c.replace(`beta:1.4.0\n${WAITS}`, 'beta:1.4.0\n    depends_on: {tor: {condition: service_started}}\n')],
    ['marks tor not required', (c: string) => c.replace(`beta:1.4.0\n${WAITS}`, 'beta:1.4.0\n    depends_on: {tor: {condition: service_healthy, restart: true, required: false}}\n')],
    ['would keep running when a commit replaces tor', (c: string) => c.replace(`beta:1.4.0\n${WAITS}`, 'beta:1.4.0\n    depends_on: {tor: {condition: service_healthy}}\n')],
  ])('refuses a service that %s', (_name, edit) => {
    const e = refusal(fleetWithTor(edit));
    expect(e.field).toBe('services.beta.depends_on');
    expect(e.reason).toMatch(/must wait for the egress service/);
  });

  it('follows the egress service the policy names', () => {
    const renamed = (c: string) => c.replaceAll('tor:', 'egress-proxy:').replaceAll('service: tor,', 'service: egress-proxy,');
    const over = { [ALLOWLIST_FILE]: TOR_ALLOWLIST.replace('[beta, tor]', '[beta, egress-proxy]'), [POLICY]: 'egress: egress-proxy\n' };
    expect(() => gate(fleetWithTor(renamed, HEALTHY_TOR, over))).not.toThrow();
    const unchecked = fleetWithTor(renamed, torWith(), over);
    expect(refusal(unchecked).field).toBe('services.egress-proxy.healthcheck');
  });
});

describe('the same rules over what docker compose config resolved (each cluster, after render)', () => {
  /** `docker compose config --format json` output, trimmed to the fields that matter. */
  const resolved = (over: Record<string, unknown>) => ({
    beta: { image: 'b:1', command: null, entrypoint: null, networks: { default: null }, environment: { A: 'b' }, ...over },
  });

  it('refuses privileged that a variable turned on', () => {
    expect(configError(() => checkResolvedRuntime(DEFAULT_RUNTIME_POLICY, resolved({ privileged: true }), 'c1')).field).toBe('services.beta.privileged');
  });

  it('refuses long-form ports and binds, and a relative bind Compose made absolute', () => {
    const ports = { ports: [{ mode: 'ingress', target: 80, published: '8080', protocol: 'tcp' }] };
    expect(configError(() => checkResolvedRuntime(DEFAULT_RUNTIME_POLICY, resolved(ports), 'c1')).field).toBe('services.beta.ports');
    const bind = { volumes: [{ type: 'bind', source: '/state/trees/abc/compose/d', target: '/d', bind: { create_host_path: true } }] };
    expect(configError(() => checkResolvedRuntime(DEFAULT_RUNTIME_POLICY, resolved(bind), 'c1')).reason).toMatch(/'\/state\/trees\/abc\/compose\/d'/);
  });

  it('passes a resolved named volume (its engine name is Compose\'s own) and normalised depends_on', () => {
    const policy = parseRuntimePolicy('allow:\n  tor: [ports]\n');
    const services = {
      ...resolved({ volumes: [{ type: 'volume', source: 'data', target: '/data', volume: {} }], depends_on: { tor: { condition: 'service_healthy', required: true, restart: true } } }),
      tor: { image: 't:1', healthcheck: { test: ['CMD', 'true'] }, ports: [{ target: 9050, published: '9050' }] },
    };
    expect(() => checkResolvedRuntime(policy, services, 'c1')).not.toThrow();
  });

  it('holds the Tor dependency on what Compose resolved', () => {
    const services = { ...resolved({ depends_on: { tor: { condition: 'service_started', required: true } } }), tor: { image: 't:1', healthcheck: { test: ['CMD', 'true'] } } };
    expect(configError(() => checkResolvedRuntime(DEFAULT_RUNTIME_POLICY, services, 'c1')).field).toBe('services.beta.depends_on');
  });
});
