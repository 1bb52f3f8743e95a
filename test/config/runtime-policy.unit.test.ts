import { DEFAULT_RUNTIME_POLICY, loadRuntimePolicy, parseRuntimePolicy } from '../../config/runtime-policy';
import { configError, removeTrees, writeTree } from './fixture-tree';

const FILE = 'policies/runtime.yaml';
afterEach(removeTrees);

describe('policies/runtime.yaml', () => {
  it('is the safe default when absent: nothing allowed, Tor egress required, the wallet plane pairs walletd and tron-node', () => {
    expect(loadRuntimePolicy(writeTree())).toEqual({ allow: {}, egress: 'tor', walletPlane: ['walletd', 'tron-node'], outside: [] });
    expect(loadRuntimePolicy(writeTree())).toBe(DEFAULT_RUNTIME_POLICY);
  });

  it('an empty file or one of comments allows nothing, like no file', () => {
    expect(parseRuntimePolicy('')).toEqual(DEFAULT_RUNTIME_POLICY);
    expect(parseRuntimePolicy('# nothing yet\n')).toEqual(DEFAULT_RUNTIME_POLICY);
  });

  it('allows fields per service, as a list of fields or a map of field to true or values', () => {
    const policy = loadRuntimePolicy(
      writeTree({ [FILE]: 'allow:\n  beta: [ports]\n  tor: {ports: true, cap_add: [NET_ADMIN]}\negress: tor\nwalletPlane: [walletd]\noutside: [tron-node]\n' }),
    );
    expect(policy).toEqual({
      allow: { beta: { ports: true }, tor: { ports: true, cap_add: ['NET_ADMIN'] } },
      egress: 'tor',
      walletPlane: ['walletd'],
      outside: ['tron-node'],
    });
  });

  it.each([
    ['an unknown top-level key', 'allowAll: true\n', '(root)', /Unrecognized key/],
    ['a field the policy does not govern', 'allow:\n  beta: [image]\n', 'allow.beta.image', /'image' is not a field the runtime policy governs/],
    ['an unknown field in the map form', 'allow:\n  beta: {cap-add: [NET_ADMIN]}\n', 'allow.beta.cap-add', /'cap-add' is not a field the runtime policy governs/],
    ['privileged with a list', 'allow:\n  beta: {privileged: [yes]}\n', 'allow.beta.privileged', /allowed with true only/],
    ['ports with a list', 'allow:\n  tor: {ports: ["9050"]}\n', 'allow.tor.ports', /allowed with true only/],
    ['an allowance of false', 'allow:\n  beta: {ports: false}\n', 'allow.beta.ports', /allowance is true \(any value\) or a list/],
    ['an empty list of values', 'allow:\n  beta: {cap_add: []}\n', 'allow.beta.cap_add', /list at least one value, or write true/],
    ['a global allowance', 'allow:\n  "*": [ports]\n', 'allow.*', /service names are lowercase/],
    ['a service allowance that is neither list nor map', 'allow:\n  beta: ports\n', 'allow.beta', /list of fields \(\[ports\]\) or a map/],
    ['a bad wallet plane entry', 'walletPlane: [Walletd]\n', 'walletPlane[0]', /lowercase/],
    ['an egress that is no service name', 'egress: ""\n', 'egress', /lowercase/],
    ['an outside entry that is no service name', 'outside: [tron_node]\n', 'outside[0]', /lowercase/],
  ])('refuses %s, naming file and field', (_name, text, field, reason) => {
    const e = configError(() => loadRuntimePolicy(writeTree({ [FILE]: text })));
    expect(e.file).toBe(FILE);
    expect(e.field).toBe(field);
    expect(e.reason).toMatch(reason);
  });
});
