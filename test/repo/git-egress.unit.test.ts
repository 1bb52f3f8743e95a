import { gitEgressEnv, gitTransport } from '../../repo/git-egress';

const proxy = { host: '127.0.0.1', port: 9080, basicAuth: { username: 'pi', password: 's3cret' } };

describe('gitTransport', () => {
  it.each([
    ['/srv/config.git', 'local'],
    ['./config.git', 'local'],
    ['file:///srv/config.git', 'local'],
    ['https://git.example/config.git', 'http'],
    ['http://abcdef.onion/config.git', 'http'],
    ['ssh://git@abcdef.onion/config.git', 'ssh'],
    ['git@abcdef.onion:config.git', 'ssh'],
    ['git://abcdef.onion/config.git', 'other'],
    ['ext::sh -c touch% /tmp/pwned', 'other'],
  ])('%s is %s', (url, want) => expect(gitTransport(url)).toBe(want));
});

describe('gitEgressEnv', () => {
  it('adds nothing without a proxy, or for a repo on this host', () => {
    expect(gitEgressEnv('https://git.example/config.git', undefined)).toBeUndefined();
    expect(gitEgressEnv('/srv/config.git', proxy)).toBeUndefined();
  });

  it('sends http(s) through http.proxy, as configuration (off the command line), with no host exempt', () => {
    expect(gitEgressEnv('https://git.example/config.git', proxy)).toEqual({
      NO_PROXY: '',
      no_proxy: '',
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'http.proxy',
      GIT_CONFIG_VALUE_0: 'http://pi:s3cret@127.0.0.1:9080',
    });
  });

  it('sends ssh through a ProxyCommand that reads the proxy from its environment', () => {
    const env = gitEgressEnv('git@abcdef.onion:config.git', proxy)!;
    expect(env.GIT_SSH_COMMAND).toMatch(/^ssh -o ProxyCommand='.*dist\/egress\/ssh-proxy-command\.js.* %h %p'$/);
    expect(env.GIT_SSH_COMMAND).not.toContain('s3cret');
    expect(env.LUCID_TEMPORAL_PROXY).toBe('http://pi:s3cret@127.0.0.1:9080');
  });

  it('refuses a transport a CONNECT proxy cannot carry instead of sending it directly', () => {
    expect(() => gitEgressEnv('git://abcdef.onion/config.git', proxy)).toThrow(
      'config repo URL: "git://abcdef.onion/config.git" cannot go through the egress proxy (LUCID_TEMPORAL_PROXY): use an https://, ssh:// or local repo URL',
    );
  });
});
