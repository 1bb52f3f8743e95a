import { attachPlaneNetworks, planeNetworkName } from '../../compose/plane-networks';
import { ConfigError } from '../../config/config-error';
import { DEFAULT_RUNTIME_POLICY, parseRuntimePolicy } from '../../config/runtime-policy';

const labels = (plane: string) => ({ 'com.lucid.plane': plane, 'com.lucid.service': 'x', 'com.lucid.expose': '8080' });

describe('the plane networks of a rendered project', () => {
  it('puts each service on its plane\'s network only and beta on all; only the planes in use exist, all internal', () => {
    const model = {
      services: {
        beta: { image: 'b', labels: labels('ops'), networks: { default: null } },
        'blockchain-core': { image: 'c', labels: labels('chain'), networks: { default: null } },
        walletd: { image: 'w', labels: labels('wallet') },
      },
      networks: { default: { name: 'lucid-pl-a_default' } } as Record<string, unknown>,
    };
    attachPlaneNetworks('pl-a', model, DEFAULT_RUNTIME_POLICY);
    expect(model.services.beta.networks).toEqual({ 'plane-ops': null, 'plane-chain': null, 'plane-wallet': null });
    expect(model.services['blockchain-core'].networks).toEqual({ 'plane-chain': null });
    expect(model.services.walletd).toMatchObject({ networks: { 'plane-wallet': null } });
    expect(model.networks).toEqual({
      'plane-ops': { name: 'lucid-pl-a_plane-ops', internal: true, labels: { 'com.lucid.plane': 'ops' } },
      'plane-chain': { name: 'lucid-pl-a_plane-chain', internal: true, labels: { 'com.lucid.plane': 'chain' } },
      'plane-wallet': { name: 'lucid-pl-a_plane-wallet', internal: true, labels: { 'com.lucid.plane': 'wallet' } },
    });
    expect(planeNetworkName('pl-a', 'wallet')).toBe('lucid-pl-a_plane-wallet');
  });

  it('gives a service with a network_mode no network of its own, which Compose would refuse', () => {
    const model = {
      services: {
        walletd: { image: 'w', labels: labels('wallet') },
        'admin-api': { image: 'a', labels: labels('ops'), network_mode: 'service:walletd', networks: { default: null } },
      },
    } as { services: Record<string, Record<string, unknown>>; networks?: Record<string, unknown> };
    attachPlaneNetworks('pl-a', model, DEFAULT_RUNTIME_POLICY);
    expect(model.services['admin-api']).not.toHaveProperty('networks');
    expect(Object.keys(model.networks!)).toEqual(['plane-wallet']);
  });

  it('gives the egress service, each service allowed ports and those listed outside a network of its own off the host', () => {
    const model = {
      services: {
        beta: { image: 'b', labels: labels('ops') },
        tor: { image: 't', labels: labels('ops') },
        metrics: { image: 'm', labels: labels('ops') },
        walletd: { image: 'w', labels: labels('wallet') },
        'tron-node': { image: 'n', labels: labels('wallet') },
      },
    } as { services: Record<string, Record<string, unknown>>; networks?: Record<string, unknown> };
    attachPlaneNetworks('pl-a', model, parseRuntimePolicy('allow:\n  beta: [ports]\n  metrics: {cap_add: [NET_RAW]}\noutside: [tron-node]\n'));
    expect(model.services['tron-node']!.networks).toEqual({ 'plane-wallet': null, 'outside-tron-node': null });
    expect(model.services.walletd!.networks).toEqual({ 'plane-wallet': null });
    expect(model.services.beta!.networks).toEqual({ 'plane-ops': null, 'plane-chain': null, 'plane-wallet': null, 'outside-beta': null });
    expect(model.services.tor!.networks).toEqual({ 'plane-ops': null, 'outside-tor': null });
    expect(model.services.metrics!.networks).toEqual({ 'plane-ops': null });
    expect(model.networks).toMatchObject({
      'outside-beta': { name: 'lucid-pl-a_outside-beta', labels: { 'com.lucid.service': 'beta' } },
      'outside-tor': { name: 'lucid-pl-a_outside-tor', labels: { 'com.lucid.service': 'tor' } },
    });
    expect(model.networks!['outside-tor']).not.toHaveProperty('internal');
    expect(Object.keys(model.networks!).filter((k) => k.startsWith('outside-'))).toEqual(['outside-beta', 'outside-tor', 'outside-tron-node']);
  });

  it('refuses a plane label that resolves to no plane', () => {
    const model = { services: { metrics: { image: 'm', labels: labels('${PLANE}') } } };
    expect(() => attachPlaneNetworks('pl-a', model, DEFAULT_RUNTIME_POLICY)).toThrow(ConfigError);
    expect(() => attachPlaneNetworks('pl-a', model, DEFAULT_RUNTIME_POLICY)).toThrow("compose/docker-compose.yml: services.metrics.labels.com.lucid.plane: resolves to '${PLANE}', not a plane");
  });
});
