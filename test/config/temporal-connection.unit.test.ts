import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeTls, temporalConnectionOptions } from '../../config/temporal-connection';

let dir: string;
const file = (name: string, text: string) => {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
};

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'temporal-connection-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the Temporal connection variables', () => {
  it('default to the embedded stack: plaintext on loopback', () => {
    const o = temporalConnectionOptions(undefined, {});
    expect(o).toEqual({ address: '127.0.0.1:7233' });
    expect(describeTls(o)).toBe('off');
  });

  it('let the caller name the address (the one `dev up` recorded) over TEMPORAL_ADDRESS', () => {
    expect(temporalConnectionOptions('10.0.0.5:7233', { TEMPORAL_ADDRESS: 'x:1' }).address).toBe('10.0.0.5:7233');
  });

  it('read mTLS: CA, client pair and server name, from files', () => {
    const o = temporalConnectionOptions(undefined, {
      TEMPORAL_ADDRESS: 'temporal.example:7233',
      TEMPORAL_TLS_CA_FILE: file('ca.pem', 'CA'),
      TEMPORAL_TLS_CERT_FILE: file('client.pem', 'CRT'),
      TEMPORAL_TLS_KEY_FILE: file('client.key', 'KEY'),
      TEMPORAL_TLS_SERVER_NAME: 'frontend.temporal',
    });
    expect(o.address).toBe('temporal.example:7233');
    expect(Buffer.from(o.tls!.serverRootCACertificate!).toString()).toBe('CA');
    expect(Buffer.from(o.tls!.clientCertPair!.crt).toString()).toBe('CRT');
    expect(Buffer.from(o.tls!.clientCertPair!.key).toString()).toBe('KEY');
    expect(o.tls!.serverNameOverride).toBe('frontend.temporal');
    expect(describeTls(o)).toBe('mTLS, own CA');
  });

  it('turn TLS on with an API key (sent only over TLS) and never show the key', () => {
    const o = temporalConnectionOptions(undefined, { TEMPORAL_API_KEY_FILE: file('key', 'sekrit-key\n') });
    expect(o.apiKey).toBe('sekrit-key');
    expect(o.tls).toEqual({});
    expect(describeTls(o)).toBe('on, API key');
    expect(describeTls(o)).not.toContain('sekrit');
  });

  it('take TEMPORAL_TLS=true alone as TLS with the system roots', () => {
    expect(temporalConnectionOptions(undefined, { TEMPORAL_TLS: 'true' }).tls).toEqual({});
  });

  it.each([
    [{ TEMPORAL_ADDRESS: 'temporal' }, /^environment: TEMPORAL_ADDRESS: must be host:port/],
    [{ TEMPORAL_TLS: 'yes' }, /^environment: TEMPORAL_TLS: must be 'true' or 'false'/],
    [{ TEMPORAL_TLS_CA_FILE: '/nonexistent/ca.pem' }, /^environment: TEMPORAL_TLS_CA_FILE: cannot read the CA certificate file \/nonexistent\/ca.pem: ENOENT/],
    [{ TEMPORAL_TLS_SERVER_NAME: 'a b' }, /^environment: TEMPORAL_TLS_SERVER_NAME: must be a host name/],
  ])('refuse %j, naming the variable and the reason', (env, reason) => {
    expect(() => temporalConnectionOptions(undefined, env)).toThrow(reason);
  });

  it('refuse half an mTLS pair, naming the missing variable', () => {
    expect(() => temporalConnectionOptions(undefined, { TEMPORAL_TLS_CERT_FILE: file('c.pem', 'C') })).toThrow(
      /^environment: TEMPORAL_TLS_KEY_FILE: is not set: mTLS needs both/,
    );
    expect(() => temporalConnectionOptions(undefined, { TEMPORAL_TLS_KEY_FILE: file('k.pem', 'K') })).toThrow(/^environment: TEMPORAL_TLS_CERT_FILE: /);
  });

  it('refuse TLS turned off beside TLS settings or an API key', () => {
    expect(() => temporalConnectionOptions(undefined, { TEMPORAL_TLS: 'false', TEMPORAL_TLS_CA_FILE: file('ca2', 'CA') })).toThrow(
      /^environment: TEMPORAL_TLS: is false but TLS files or a server name are set/,
    );
    expect(() => temporalConnectionOptions(undefined, { TEMPORAL_TLS: 'false', TEMPORAL_API_KEY_FILE: file('k2', 'K') })).toThrow(/sent only over TLS/);
  });

  it('refuse an empty API key file', () => {
    expect(() => temporalConnectionOptions(undefined, { TEMPORAL_API_KEY_FILE: file('empty', '\n') })).toThrow(
      /^environment: TEMPORAL_API_KEY_FILE: the file is empty/,
    );
  });
});
