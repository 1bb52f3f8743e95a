import * as path from 'node:path';
import { InvalidInputError } from '../common/input-ids';
import { EGRESS_PROXY_VARIABLE, proxyUrl, type EgressProxy } from '../config/egress-proxy';
import { PROJECT_ROOT } from '../config/runtime-env';
import { redactUrl } from './redact-url';

/** How git reaches a repo URL: no network at all, HTTP(S), or ssh (`ssh://…` or scp-like `user@host:path`). */
export type GitTransport = 'local' | 'http' | 'ssh' | 'other';

export function gitTransport(url: string): GitTransport {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'file') return 'local';
  if (scheme === 'http' || scheme === 'https') return 'http';
  if (scheme === 'ssh' || scheme === 'git+ssh' || scheme === 'ssh+git') return 'ssh';
  if (scheme) return 'other';
  // git's own rule: a colon before any slash makes `host:path` an ssh address (`ext::…` is a transport helper).
  if (url.includes('::')) return 'other';
  const colon = url.indexOf(':');
  const slash = url.indexOf('/');
  return colon > 0 && (slash < 0 || colon < slash) ? 'ssh' : 'local';
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The environment of a git command that talks to `repoUrl` through the egress
 * proxy (undefined: no proxy, or no network). git reads it as configuration,
 * so the proxy's credentials never appear on a command line; NO_PROXY is
 * emptied so no host is exempt, and GIT_SSH_COMMAND replaces any other ssh.
 * A transport that cannot be carried through a CONNECT proxy is refused
 * rather than sent directly.
 */
export function gitEgressEnv(repoUrl: string, proxy: EgressProxy | undefined): NodeJS.ProcessEnv | undefined {
  if (!proxy) return undefined;
  const noBypass = { NO_PROXY: '', no_proxy: '' };
  switch (gitTransport(repoUrl)) {
    case 'local':
      return undefined;
    case 'http':
      return { ...noBypass, GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.proxy', GIT_CONFIG_VALUE_0: proxyUrl(proxy) };
    case 'ssh': {
      const helper = path.join(PROJECT_ROOT, 'dist', 'egress', 'ssh-proxy-command.js');
      const command = `${quote(process.execPath)} ${quote(helper)} %h %p`;
      return { ...noBypass, [EGRESS_PROXY_VARIABLE]: proxyUrl(proxy), GIT_SSH_COMMAND: `ssh -o ProxyCommand=${quote(command)}` };
    }
    case 'other':
      throw new InvalidInputError(
        'config repo URL',
        JSON.stringify(redactUrl(repoUrl)),
        `cannot go through the egress proxy (${EGRESS_PROXY_VARIABLE}): use an https://, ssh:// or local repo URL`,
      );
  }
}
