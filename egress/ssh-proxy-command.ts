import { egressProxy } from '../config/egress-proxy';
import { openTunnel } from './connect-tunnel';

/**
 * ssh's ProxyCommand for git over ssh: `node ssh-proxy-command.js <host> <port>`
 * carries stdin/stdout through the egress proxy named by LUCID_TEMPORAL_PROXY,
 * read from the environment so the credentials stay off the command line.
 */
async function main(host: string | undefined, port: string | undefined): Promise<void> {
  const proxy = egressProxy();
  if (!proxy || !host || !port || !/^\d+$/.test(port)) throw new Error('usage: LUCID_TEMPORAL_PROXY=<proxy> ssh-proxy-command <host> <port>');
  const tunnel = await openTunnel(proxy, host, Number(port));
  process.stdin.pipe(tunnel);
  tunnel.pipe(process.stdout);
  tunnel.on('close', () => process.exit(0));
  tunnel.on('error', (err) => {
    process.stderr.write(`lucid egress: ${err.message}\n`);
    process.exit(1);
  });
}

main(process.argv[2], process.argv[3]).catch((err: Error) => {
  process.stderr.write(`lucid egress: ${err.message}\n`);
  process.exit(1);
});
