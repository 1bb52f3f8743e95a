import * as fs from 'node:fs';
import { z } from 'zod';
import { EnvError, parseEnv } from './parse-env';

const MIB = 1024 * 1024;

/** What the recorder captures: a private Xvfb, an existing X display, or any FFmpeg input. */
export type RecorderInput =
  | { kind: 'xvfb'; size: string; framerate: number }
  | { kind: 'x11grab'; display: string; size?: string; framerate: number }
  | { kind: 'ffmpeg'; format?: string; url: string };

const SIZE = /^\d{2,5}x\d{2,5}$/;

/**
 * LUCID_RECORD_INPUT: `xvfb:640x480@10` (a private virtual display per
 * session: tests and demo), `x11grab::0@15` or `x11grab::0@15/1920x1080` (a
 * live display), `lavfi:<graph>` or `url:<ffmpeg input url>`.
 */
export const recorderInputSchema = z.string().transform((spec, ctx): RecorderInput => {
  const xvfb = /^xvfb:(\d+x\d+)@(\d+)$/.exec(spec);
  if (xvfb && SIZE.test(xvfb[1]!)) return { kind: 'xvfb', size: xvfb[1]!, framerate: Number(xvfb[2]) };
  const x11 = /^x11grab:(:[\d.]+)@(\d+)(?:\/(\d+x\d+))?$/.exec(spec);
  if (x11) return { kind: 'x11grab', display: x11[1]!, framerate: Number(x11[2]), size: x11[3] };
  if (spec.startsWith('lavfi:') && spec.length > 6) return { kind: 'ffmpeg', format: 'lavfi', url: spec.slice(6) };
  if (spec.startsWith('url:') && spec.length > 4) return { kind: 'ffmpeg', url: spec.slice(4) };
  ctx.addIssue({ code: 'custom', message: `'${spec}' is none of xvfb:WxH@fps, x11grab:<display>@fps[/WxH], lavfi:<graph>, url:<input>` });
  return z.NEVER;
});

const nodeEnvSchema = z.object({
  LUCID_RECORD_INPUT: recorderInputSchema.default({ kind: 'xvfb', size: '640x480', framerate: 10 }),
  /** libx264 here; h264_v4l2m2m is the Pi 5's hardware encoder; copy keeps an already encoded input as is. */
  LUCID_RECORD_ENCODER: z.enum(['libx264', 'h264_v4l2m2m', 'copy']).default('libx264'),
  /** SPEC-4 chunks are 8-16 MiB; smaller ones are for tests and low-bitrate trials. */
  LUCID_CHUNK_BYTES: z.coerce.number().int().min(64 * 1024, 'at least 64 KiB').max(16 * MIB, 'at most 16 MiB').default(8 * MIB),
  LUCID_ZSTD_LEVEL: z.coerce.number().int().min(1).max(19).default(3),
  LUCID_CHUNK_STORE: z.string().min(1).optional(),
});

export type NodeEnv = z.infer<typeof nodeEnvSchema>;

export function nodeEnv(env: NodeJS.ProcessEnv = process.env): NodeEnv {
  return parseEnv(nodeEnvSchema, env);
}

/**
 * The node's 32-byte key: LUCID_NODE_KEY (base64) or LUCID_NODE_KEY_FILE (a
 * file holding it, e.g. on tmpfs or a sealed mount). It never goes to disk in
 * the clear from here, nor into history.
 */
export function nodeKey(env: NodeJS.ProcessEnv = process.env): Buffer {
  const variable = env.LUCID_NODE_KEY ? 'LUCID_NODE_KEY' : 'LUCID_NODE_KEY_FILE';
  const text = env.LUCID_NODE_KEY ?? (env.LUCID_NODE_KEY_FILE ? readKeyFile(env.LUCID_NODE_KEY_FILE) : undefined);
  if (text === undefined) throw new EnvError('LUCID_NODE_KEY', 'is not set (base64 of 32 bytes), nor LUCID_NODE_KEY_FILE');
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32) throw new EnvError(variable, `must be base64 of 32 bytes, got ${key.length} bytes`);
  return key;
}

function readKeyFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new EnvError('LUCID_NODE_KEY_FILE', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
