import { generateKeyPairSync } from 'node:crypto';
import { stringify } from 'yaml';
import { ConfigError } from '../../config/config-error';
import { parseImagePolicy } from '../../config/image-policy';

const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
const policy = (over: Record<string, unknown> = {}) =>
  stringify({ registries: ['127.0.0.1:5000'], signers: [{ name: 'release', publicKey: ec }], vulnerabilityBudget: { critical: 0, high: 3 }, ...over });

function refusal(text: string): ConfigError {
  try {
    parseImagePolicy(text);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('accepted');
}

describe('policies/images.yaml', () => {
  it('parses a valid policy into keys ready to verify with', () => {
    const p = parseImagePolicy(policy());
    expect(p.signers[0]!.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(p.vulnerabilityBudget).toEqual({ critical: 0, high: 3 });
  });

  it.each([
    ['a key that is no PEM', { signers: [{ name: 'release', publicKey: 'not a key' }] }, 'signers[0].publicKey', /not a PEM public key/],
    [
      'an RSA key',
      { signers: [{ name: 'rsa', publicKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }) }] },
      'signers[0].publicKey',
      /not an ECDSA P-256 key \(got rsa\)/,
    ],
    ['no signers', { signers: [] }, 'signers', /at least one signer/],
    ['a signer named twice', { signers: [{ name: 'a', publicKey: ec }, { name: 'a', publicKey: ec }] }, 'signers', /twice/],
    ['a registry with a scheme', { registries: ['https://r.example'] }, 'registries[0]', /host\[:port\]/],
    ['a negative budget', { vulnerabilityBudget: { critical: -1, high: 0 } }, 'vulnerabilityBudget.critical', /0 or more/],
    ['an unknown field', { maxCritical: 0 }, '(root)', /maxCritical/],
  ])('refuses %s, naming the field', (_name, over, field, reason) => {
    const e = refusal(policy(over));
    expect(e.file).toBe('policies/images.yaml');
    expect(e.field).toBe(field);
    expect(e.reason).toMatch(reason);
  });
});
