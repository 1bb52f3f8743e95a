import { egressProxy, proxyLabel, proxyUrl, withoutProxySecret } from '../../config/egress-proxy';

const parse = (value: string) => egressProxy({ LUCID_TEMPORAL_PROXY: value });

describe('LUCID_TEMPORAL_PROXY', () => {
  it('is optional: unset or empty means the worker reaches the console directly', () => {
    expect(egressProxy({})).toBeUndefined();
    expect(parse('')).toBeUndefined();
  });

  it.each([
    ['127.0.0.1:9080', { host: '127.0.0.1', port: 9080 }],
    ['http://tor:9080', { host: 'tor', port: 9080 }],
    ['http://tor.local:9080/', { host: 'tor.local', port: 9080 }],
    ['[::1]:9080', { host: '[::1]', port: 9080 }],
    ['http://pi:s3cret@127.0.0.1:9080', { host: '127.0.0.1', port: 9080, basicAuth: { username: 'pi', password: 's3cret' } }],
  ])('reads %j', (value, want) => {
    expect(parse(value)).toEqual(want);
  });

  it.each([
    ['socks5://127.0.0.1:9050', /'socks5:\/\/' is not an HTTP CONNECT proxy/],
    ['https://127.0.0.1:9080', /'https:\/\/' is not an HTTP CONNECT proxy/],
    ['127.0.0.1', /must be host:port or http:\/\/\[user:password@\]host:port/],
    ['127.0.0.1:9080/path', /must be host:port/],
    ['127.0.0.1:0', /port 0 is out of range/],
    ['127.0.0.1:70000', /port 70000 is out of range/],
    ['http://a:b:c@127.0.0.1:9080', /must be host:port/],
  ])('refuses %j, naming the variable and the reason', (value, reason) => {
    expect(() => parse(value)).toThrow(/^environment: LUCID_TEMPORAL_PROXY: /);
    expect(() => parse(value)).toThrow(reason);
  });

  it('never echoes a refused value, which may hold a password', () => {
    expect(() => parse('socks5://pi:s3cret@127.0.0.1:9050')).toThrow(expect.objectContaining({ message: expect.not.stringContaining('s3cret') }));
  });

  it('labels the proxy without credentials; only the URL for git carries them', () => {
    const p = parse('http://pi:s3cret@127.0.0.1:9080')!;
    expect(proxyLabel(p)).toBe('127.0.0.1:9080');
    expect(proxyUrl(p)).toBe('http://pi:s3cret@127.0.0.1:9080');
    expect(withoutProxySecret(p, 'proxy http://pi:s3cret@127.0.0.1:9080 refused')).toBe('proxy http://pi:***@127.0.0.1:9080 refused');
  });
});
