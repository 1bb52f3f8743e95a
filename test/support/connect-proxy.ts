import * as http from 'node:http';
import * as net from 'node:net';

/** One CONNECT the proxy was asked for. */
export interface ProxiedConnection {
  target: string;
  /** The client's source port: `ss` matches it to the process that opened it. */
  clientPort: number;
}

/**
 * A small HTTP CONNECT proxy on loopback, like Tor's HTTPTunnelPort: CONNECT
 * only (anything else is 405), optional basic auth, a log of every tunnel,
 * and stop/start on the same port to play a Tor that went away.
 */
export class ConnectProxy {
  readonly connections: ProxiedConnection[] = [];
  private server?: http.Server;
  private readonly open = new Set<net.Socket>();

  /** 0 takes a free port at the first start; a restart listens on the same one. */
  constructor(
    public port = 0,
    private readonly basicAuth?: { username: string; password: string },
  ) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** How many tunnels to `target` were opened so far. */
  count(target: string): number {
    return this.connections.filter((c) => c.target === target).length;
  }

  start(): Promise<void> {
    const server = http.createServer((_req, res) => res.writeHead(405).end());
    server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => this.tunnel(req, client, head));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        this.port = (server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  }

  /** Closes the listener and cuts every open tunnel, as a dying Tor would. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.open) s.destroy();
    this.open.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private tunnel(req: http.IncomingMessage, client: net.Socket, head: Buffer): void {
    const want = this.basicAuth && `Basic ${Buffer.from(`${this.basicAuth.username}:${this.basicAuth.password}`).toString('base64')}`;
    if (want && req.headers['proxy-authorization'] !== want) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n\r\n');
      return;
    }
    const target = req.url ?? '';
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(target);
    if (!m) {
      client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    this.connections.push({ target, clientPort: client.remotePort ?? 0 });
    const upstream = net.connect(Number(m[2]), m[1]!.replace(/^\[|\]$/g, ''));
    for (const s of [client, upstream]) {
      this.open.add(s);
      s.on('close', () => this.open.delete(s));
      s.on('error', () => undefined);
    }
    upstream.once('connect', () => {
      client.write('HTTP/1.1 200 Connection established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.once('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n'));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }
}
