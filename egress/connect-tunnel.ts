import * as net from 'node:net';
import { proxyAuthorization, proxyLabel, type EgressProxy } from '../config/egress-proxy';

/** A connection the egress proxy did not open: names the proxy and the target, never the credentials. */
export class EgressError extends Error {
  constructor(readonly proxy: string, readonly target: string, reason: string) {
    super(`egress proxy ${proxy}: cannot reach ${target}: ${reason}`);
    this.name = 'EgressError';
  }
}

const MAX_HEADER_BYTES = 16 * 1024;

/**
 * A TCP stream to `host:port` through the proxy's CONNECT method: the only way
 * a proxied process opens a connection. There is no direct fallback; a proxy
 * that is down or refuses is an EgressError.
 */
export function openTunnel(proxy: EgressProxy, host: string, port: number, timeoutMs = 15_000): Promise<net.Socket> {
  const target = `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
  const fail = (reason: string) => new EgressError(proxyLabel(proxy), target, reason);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: proxy.host.replace(/^\[|\]$/g, ''), port: proxy.port });
    let head = Buffer.alloc(0);
    const onError = (err: NodeJS.ErrnoException) => done(fail(err.code ?? err.message));
    const onClose = () => done(fail('closed the connection'));
    const done = (err?: Error) => {
      socket.removeListener('data', onData).removeListener('error', onError).removeListener('close', onClose);
      socket.setTimeout(0);
      if (err) {
        socket.destroy();
        reject(err);
      } else resolve(socket);
    };
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > MAX_HEADER_BYTES) done(fail('answered CONNECT with an oversized header'));
        return;
      }
      const status = head.subarray(0, head.indexOf('\r\n')).toString('latin1');
      if (!/^HTTP\/1\.[01] 2\d\d\b/.test(status)) return done(fail(`refused CONNECT: ${status}`));
      // Bytes after the header already belong to the tunnelled stream (a server that speaks first, as ssh and
      // HTTP/2 do): the stream is paused and they go back in front, for whoever reads it next.
      socket.removeListener('data', onData);
      socket.pause();
      const rest = head.subarray(end + 4);
      if (rest.length) socket.unshift(rest);
      done();
    };
    socket.setTimeout(timeoutMs, () => done(fail(`no answer within ${timeoutMs / 1000} s`)));
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.on('data', onData);
    socket.once('connect', () => {
      const auth = proxyAuthorization(proxy);
      socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${auth ? `Proxy-Authorization: ${auth}\r\n` : ''}\r\n`);
    });
  });
}
