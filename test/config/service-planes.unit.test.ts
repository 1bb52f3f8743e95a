import { loadComposeFile } from '../../config/compose-file';
import { DEFAULT_WALLET_PLANE, labelMap, parseExpose, servicePlane } from '../../config/service-planes';
import { COMPOSE_FILE, VALID_COMPOSE, configError, planeLabels, removeTrees, writeTree } from './fixture-tree';

afterEach(removeTrees);

const withService = (yaml: string) => writeTree({ [COMPOSE_FILE]: VALID_COMPOSE + yaml });
const refusal = (yaml: string, walletPlane?: string[]) =>
  configError(() => loadComposeFile(withService(yaml), undefined, walletPlane)).message;

describe('plane labels in compose/docker-compose.yml', () => {
  it('refuses a service with no plane label, naming the file, field and reason', () => {
    expect(refusal('  node-economy:\n    image: e:1\n    profiles: [node]\n')).toBe(
      "compose/docker-compose.yml: services.node-economy.labels.com.lucid.plane: missing: every service names its plane (ops, chain, wallet); Lucid puts it on that plane's network",
    );
  });

  it('refuses an unknown plane', () => {
    expect(refusal(`  node-economy:\n    image: e:1\n${planeLabels('node-economy', 'dmz')}`)).toBe(
      "compose/docker-compose.yml: services.node-economy.labels.com.lucid.plane: unknown plane 'dmz' (known: ops, chain, wallet)",
    );
  });

  it('refuses networks: of a service\'s own, in either Compose form, and top-level networks', () => {
    const reason = "networks: is not allowed; Lucid puts each service on its com.lucid.plane label's network, so no service can bridge planes";
    expect(refusal(`  bridge:\n    image: e:1\n${planeLabels('bridge')}    networks: [plane-ops, plane-wallet]\n`)).toBe(
      `compose/docker-compose.yml: services.bridge.networks: ${reason}`,
    );
    expect(refusal(`  bridge:\n    image: e:1\n${planeLabels('bridge')}    networks: {plane-wallet: {aliases: [walletd]}}\n`)).toBe(
      `compose/docker-compose.yml: services.bridge.networks: ${reason}`,
    );
    expect(configError(() => loadComposeFile(writeTree({ [COMPOSE_FILE]: `${VALID_COMPOSE}networks:\n  shared: {}\n` }))).message).toBe(
      `compose/docker-compose.yml: networks: ${reason}`,
    );
  });

  it('keeps the wallet network to the paired services: walletd and tron-node by default, or the pairs it is given', () => {
    expect(refusal(`  node-economy:\n    image: e:1\n${planeLabels('node-economy', 'wallet')}`)).toBe(
      "compose/docker-compose.yml: services.node-economy.labels.com.lucid.plane: the wallet plane holds only the services the runtime policy pairs (walletd, tron-node), not 'node-economy'",
    );
    const paired = `  walletd:\n    image: w:1\n${planeLabels('walletd', 'wallet')}  tron-node:\n    image: t:1\n${planeLabels('tron-node', 'wallet')}`;
    expect(loadComposeFile(withService(paired)).map((s) => s.name)).toContain('tron-node');
    expect(refusal(paired, ['walletd'])).toMatch(/services\.tron-node\.labels\.com\.lucid\.plane: .*pairs \(walletd\), not 'tron-node'/);
    expect(DEFAULT_WALLET_PLANE).toEqual(['walletd', 'tron-node']);
  });

  it('lets beta, which joins every plane, carry any plane', () => {
    expect(servicePlane('beta', labelMap({ 'com.lucid.plane': 'wallet', 'com.lucid.service': 'beta', 'com.lucid.expose': '9050' }))).toEqual({
      plane: 'wallet',
      expose: [9050],
    });
  });

  it('wants com.lucid.service to be the service name, and com.lucid.expose to list ports', () => {
    expect(refusal('  walletd:\n    image: w:1\n    labels: {com.lucid.plane: wallet, com.lucid.service: tron-node, com.lucid.expose: "8080"}\n')).toBe(
      "compose/docker-compose.yml: services.walletd.labels.com.lucid.service: must be the service's own name 'walletd' (beta resolves beta://walletd@wallet by it)",
    );
    expect(refusal('  walletd:\n    image: w:1\n    labels: {com.lucid.plane: wallet, com.lucid.service: walletd}\n')).toMatch(
      /services\.walletd\.labels\.com\.lucid\.expose: missing: the TCP ports/,
    );
    expect(refusal(`  walletd:\n    image: w:1\n${planeLabels('walletd', 'wallet', '8080,70000')}`)).toBe(
      "compose/docker-compose.yml: services.walletd.labels.com.lucid.expose: '8080,70000' is not a comma-separated list of distinct TCP ports (1-65535)",
    );
  });

  it('reads labels as a map or a key=value list, and expose as distinct ports', () => {
    expect(labelMap(['com.lucid.plane=chain', 'com.lucid.expose=', 'a=b=c'])).toEqual({ 'com.lucid.plane': 'chain', 'com.lucid.expose': '', a: 'b=c' });
    expect(labelMap({ 'com.lucid.expose': 8080, x: null })).toEqual({ 'com.lucid.expose': '8080', x: '' });
    expect(parseExpose('')).toEqual([]);
    expect(parseExpose('8080, 9090')).toEqual([8080, 9090]);
    for (const bad of ['0', '65536', '80,80', 'http', '8080;9090', '08080']) expect(parseExpose(bad)).toBeUndefined();
  });
});
