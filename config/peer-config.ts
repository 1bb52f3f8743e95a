import * as fs from 'node:fs';
import { z } from 'zod';
import { diskFsType } from '../common/ram-fs';
import { EnvError, parseEnv } from './parse-env';

/** A node's part in peer copies: the chunk host it runs, the key peers sign with, and the copies it asks peers for. */
export interface PeerSettings {
  /** Where this node's chunk host listens (`host:port`); unset, the node neither serves nor holds peer copies. */
  listen?: { host: string; port: number };
  /** How peers reach the chunk host: LUCID_CHUNK_HOST_URL, else `http://<listen>`. */
  url?: string;
  /** The fleet's chunk-host key (32 bytes): every request between chunk hosts is signed with it. */
  key?: Buffer;
  /** Other nodes' stores that hold a copy of each of this node's sealed chunks. */
  copies: number;
  /** The nodes copies may go to (SPEC-4's DHT seeds), this one included or not. */
  peers: string[];
}

const NODE_ID = /^[A-Za-z0-9_.-]{1,64}$/;

const peerEnvSchema = z.object({
  LUCID_CHUNK_HOST_LISTEN: z
    .string()
    .regex(/^[A-Za-z0-9.:[\]-]+:\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:7480')
    .transform((s) => ({ host: s.slice(0, s.lastIndexOf(':')), port: Number(s.slice(s.lastIndexOf(':') + 1)) }))
    .refine((l) => l.port > 0 && l.port < 65536, 'port must be 1-65535')
    .optional(),
  LUCID_CHUNK_HOST_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s):// URL' }).optional(),
  LUCID_CHUNK_HOST_KEY: z.string().min(1).optional(),
  /** A file holding the key (base64), on tmpfs or ramfs and private to this user, as the S3 keys' file. */
  LUCID_CHUNK_HOST_KEY_FILE: z.string().min(1).optional(),
  /**
   * Replication factor on peers. 0 (the default) keeps the behaviour from before peer copies: the node's own copy
   * and the S3 copy when LUCID_S3_ENDPOINT is set. Nothing is sent to another node unless asked for here.
   */
  LUCID_PEER_COPIES: z.coerce.number().int().min(0, 'at least 0').max(3, 'at most 3').default(0),
  LUCID_PEERS: z
    .string()
    .transform((s) => s.split(',').map((p) => p.trim()).filter((p) => p.length > 0))
    .refine((ids) => ids.every((id) => NODE_ID.test(id)), 'must be node ids separated by commas')
    .default([]),
});

/**
 * LUCID_CHUNK_HOST_* and LUCID_PEER*: refused when copies are asked for without enough peers, a chunk host or a
 * key, or a host is configured without a key (it would serve to anyone, or to no one).
 */
export function peerSettings(nodeId: string, env: NodeJS.ProcessEnv = process.env): PeerSettings {
  const e = parseEnv(peerEnvSchema, env);
  const key = chunkHostKey(env);
  const others = e.LUCID_PEERS.filter((p) => p !== nodeId);
  if (e.LUCID_PEER_COPIES > others.length) {
    throw new EnvError('LUCID_PEER_COPIES', `asks for ${e.LUCID_PEER_COPIES} peer copies but LUCID_PEERS lists ${others.length} node(s) other than ${nodeId}`);
  }
  if (e.LUCID_PEER_COPIES > 0 && !e.LUCID_CHUNK_HOST_LISTEN) {
    throw new EnvError('LUCID_CHUNK_HOST_LISTEN', `is not set, but LUCID_PEER_COPIES is ${e.LUCID_PEER_COPIES}: peers pull the chunks from this node's chunk host`);
  }
  if (e.LUCID_CHUNK_HOST_LISTEN && !key) {
    throw new EnvError('LUCID_CHUNK_HOST_KEY_FILE', 'is not set (nor LUCID_CHUNK_HOST_KEY), but LUCID_CHUNK_HOST_LISTEN is: a chunk host only answers signed requests');
  }
  const listen = e.LUCID_CHUNK_HOST_LISTEN;
  return {
    ...(listen && { listen, url: e.LUCID_CHUNK_HOST_URL ?? `http://${listen.host}:${listen.port}` }),
    ...(key && { key }),
    copies: e.LUCID_PEER_COPIES,
    peers: e.LUCID_PEERS,
  };
}

/** The fleet's chunk-host key from LUCID_CHUNK_HOST_KEY (base64) or LUCID_CHUNK_HOST_KEY_FILE; undefined when neither is set. */
export function chunkHostKey(env: NodeJS.ProcessEnv = process.env): Buffer | undefined {
  const e = parseEnv(peerEnvSchema.pick({ LUCID_CHUNK_HOST_KEY: true, LUCID_CHUNK_HOST_KEY_FILE: true }), env);
  const variable = e.LUCID_CHUNK_HOST_KEY ? 'LUCID_CHUNK_HOST_KEY' : 'LUCID_CHUNK_HOST_KEY_FILE';
  const text = e.LUCID_CHUNK_HOST_KEY ?? (e.LUCID_CHUNK_HOST_KEY_FILE ? readKeyFile(e.LUCID_CHUNK_HOST_KEY_FILE) : undefined);
  if (text === undefined) return undefined;
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32) throw new EnvError(variable, `must be base64 of 32 bytes, got ${key.length} bytes`);
  return key;
}

function readKeyFile(file: string): string {
  const variable = 'LUCID_CHUNK_HOST_KEY_FILE';
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new EnvError(variable, `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const onDisk = diskFsType(file);
  if (onDisk) throw new EnvError(variable, `${file} is on a disk (file system ${onDisk}); the key only on tmpfs`);
  const mode = fs.statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) throw new EnvError(variable, `${file}: mode ${mode.toString(8)} lets others read the key; chmod 400 it`);
  return text;
}

/**
 * The peers that hold `origin`'s copies: the `copies` nodes after it on the ring of node ids (sorted, the origin
 * placed among them), never the origin itself. The same list gives the same peers on every node and every run.
 */
export function choosePeers(origin: string, peers: readonly string[], copies: number): string[] {
  const ring = [...new Set([...peers, origin])].sort();
  const at = ring.indexOf(origin);
  const after = [...ring.slice(at + 1), ...ring.slice(0, at)];
  if (copies > after.length) throw new Error(`node ${origin}: ${copies} peer copies asked for, but only ${after.length} other node(s) known: ${after.join(', ') || 'none'}`);
  return after.slice(0, copies);
}
