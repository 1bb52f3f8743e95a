import { signRequest } from './chunk-host-auth';

/**
 * A client of another node's chunk host (chunk-host.ts): reads a chunk by leaf, or the leaves a session has
 * journaled, with requests signed by the fleet's chunk-host key. Bytes are returned unchecked: the reader checks
 * each against its leaf.
 */
export class PeerChunks {
  constructor(
    /** The node whose chunk host this is. */
    readonly nodeId: string,
    readonly url: string,
    private readonly key: Buffer,
    /** Who asks: a node id, or `lucid-cli`; the host logs it. */
    private readonly from: string,
  ) {}

  /** The chunk's bytes, undefined when the host holds none under that leaf. */
  async get(leaf: string): Promise<Buffer | undefined> {
    if (!/^[0-9a-f]{64}$/.test(leaf)) throw new Error(`not a chunk address: ${leaf}`);
    const res = await this.request(`/chunks/${leaf}`);
    return res && Buffer.from(await res.arrayBuffer());
  }

  /** The leaves the session journaled on that node so far, in index order. */
  async leaves(sessionId: string): Promise<string[]> {
    const res = await this.request(`/sessions/${encodeURIComponent(sessionId)}/leaves`);
    const list = res ? ((await res.json()) as unknown) : [];
    if (!Array.isArray(list) || !list.every((l) => typeof l === 'string' && /^[0-9a-f]{64}$/.test(l))) {
      throw new Error(`${this.describe()}: session ${sessionId}: the leaves answered are not a list of chunk addresses`);
    }
    return list as string[];
  }

  where(leaf: string): string {
    return `peer ${this.nodeId} at ${this.url}/chunks/${leaf}`;
  }

  describe(): string {
    return `peer ${this.nodeId} at ${this.url}`;
  }

  private async request(urlPath: string): Promise<Response | undefined> {
    let res: Response;
    try {
      res = await fetch(`${this.url}${urlPath}`, {
        headers: { authorization: signRequest(this.key, 'GET', urlPath, this.from) },
        signal: AbortSignal.timeout(60_000),
      });
    } catch (err) {
      throw new Error(`${this.describe()}: GET ${urlPath}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`, { cause: err });
    }
    if (res.status === 404) return undefined;
    if (!res.ok) throw new Error(`${this.describe()}: GET ${urlPath}: HTTP ${res.status} ${(await res.text()).trim()}`);
    return res;
  }
}
