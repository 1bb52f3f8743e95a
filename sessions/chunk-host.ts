import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeJsonLog } from '../workers/json-logger';
import { checkRequest } from './chunk-host-auth';
import type { ChunkStore } from './chunk-store';
import { SessionJournal } from './session-journal';

export interface ChunkHostOptions {
  nodeId: string;
  key: Buffer;
  /** The node's own sealed chunks, which its peers pull to hold copies of. */
  store: ChunkStore;
  /** The copies this node holds for its peers, served back by leaf. */
  held: ChunkStore;
  /** The node's session journals: a peer reads which chunks a session has sealed so far. */
  journalDir: string;
}

/**
 * The node-data-host endpoint (SPEC-4): `GET /chunks/<leaf>` answers the ciphertext under that leaf from the
 * node's own store or from what it holds for peers; `GET /sessions/<id>/leaves` the leaves a session journaled so
 * far. Chunk bytes go node to node here, never through Temporal history. Every request must be signed with the
 * fleet's chunk-host key; an unsigned or badly signed one is refused (401) before anything is read. Nothing here
 * is plaintext: the chunks are sealed with the origin node's key, which never leaves it.
 */
export function startChunkHost(opts: ChunkHostOptions, listen: { host: string; port: number }): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const urlPath = (req.url ?? '/').split('?')[0]!;
    const auth = checkRequest(opts.key, req.method ?? '', urlPath, req.headers.authorization);
    if ('refused' in auth) {
      writeJsonLog({ level: 'WARN', message: 'chunk host refused a request', meta: { nodeId: opts.nodeId, path: urlPath, reason: auth.refused, remote: req.socket.remoteAddress } });
      res.writeHead(401, { 'content-type': 'text/plain' }).end(`refused: ${auth.refused}\n`);
      return;
    }
    try {
      const body = req.method === 'GET' ? answer(opts, urlPath) : undefined;
      if (!body) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
        return;
      }
      res.writeHead(200, { 'content-type': body.type, 'content-length': body.bytes.length }).end(body.bytes);
    } catch (err) {
      writeJsonLog({ level: 'ERROR', message: 'chunk host failed a request', meta: { nodeId: opts.nodeId, path: urlPath, from: auth.from, error: (err as Error).message } });
      res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error\n');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      const { port } = server.address() as AddressInfo;
      writeJsonLog({ level: 'INFO', message: 'chunk host listening', meta: { nodeId: opts.nodeId, host: listen.host, port } });
      resolve(server);
    });
  });
}

function answer(opts: ChunkHostOptions, urlPath: string): { type: string; bytes: Buffer } | undefined {
  const chunk = /^\/chunks\/([0-9a-f]{64})$/.exec(urlPath);
  if (chunk) {
    const bytes = opts.store.get(chunk[1]!) ?? opts.held.get(chunk[1]!);
    return bytes && { type: 'application/octet-stream', bytes };
  }
  const leaves = /^\/sessions\/([A-Za-z0-9_-]{1,128})\/leaves$/.exec(urlPath);
  if (leaves) {
    const records = new SessionJournal(opts.journalDir, leaves[1]!).snapshot();
    return { type: 'application/json', bytes: Buffer.from(JSON.stringify(records.map((r) => r.leaf))) };
  }
  return undefined;
}
