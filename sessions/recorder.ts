import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { RecorderInput } from '../config/node-config';

export type Encoder = 'libx264' | 'h264_v4l2m2m' | 'copy';

export interface Recording {
  /** The encoded media (MPEG-TS) as FFmpeg writes it. */
  media: Readable;
  /** Asks FFmpeg to finish cleanly (it flushes and closes the stream). */
  stop(): void;
  /** Resolves when FFmpeg exited cleanly; rejects with its last error lines otherwise. */
  done: Promise<void>;
}

/**
 * FFmpeg arguments for a recording of at most `seconds`. The output is MPEG-TS
 * on stdout: a streamable container, so a recording resumed after a crash is a
 * valid concatenation of segments. `+bitexact` keeps muxer output a function
 * of its input.
 */
export function ffmpegArgs(input: Exclude<RecorderInput, { kind: 'xvfb' }>, encoder: Encoder, seconds: number): string[] {
  const source =
    input.kind === 'ffmpeg'
      ? ['-re', ...(input.format ? ['-f', input.format] : []), '-i', input.url]
      : ['-f', 'x11grab', '-framerate', String(input.framerate), ...(input.size ? ['-video_size', input.size] : []), '-i', input.display];
  const codec =
    encoder === 'copy'
      ? ['-c', 'copy']
      : encoder === 'libx264'
        ? ['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p']
        : ['-c:v', 'h264_v4l2m2m', '-b:v', '8M', '-pix_fmt', 'yuv420p'];
  return ['-hide_banner', '-loglevel', 'error', '-nostdin', ...source, '-t', seconds.toFixed(3), ...codec, '-f', 'mpegts', '-fflags', '+bitexact', 'pipe:1'];
}

/**
 * A private Xvfb for one recording. The server picks a free display itself and
 * reports it on fd 3 (`-displayfd`), so two recordings never share a screen.
 * `-terminate` ends it when its last client (FFmpeg) disconnects, so a node
 * worker killed mid-session leaves no server behind.
 */
async function startXvfb(size: string): Promise<{ display: string; proc: ChildProcess }> {
  const proc = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', `${size}x24`, '-nolisten', 'tcp', '-terminate'], {
    stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
  });
  try {
    const display = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error('Xvfb did not report a display within 10 s')), 10_000);
      proc.on('error', (err) => reject(new Error(`Xvfb: ${err.message} (is xvfb installed?)`)));
      proc.on('exit', (code) => reject(new Error(`Xvfb exited with ${code} before it was ready`)));
      (proc.stdio[3] as Readable).on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) {
          clearTimeout(timer);
          resolve(`:${out.trim()}`);
        }
      });
    });
    return { display, proc };
  } catch (err) {
    proc.kill();
    throw err;
  }
}

export async function startRecording(input: RecorderInput, encoder: Encoder, seconds: number): Promise<Recording> {
  const xvfb = input.kind === 'xvfb' ? await startXvfb(input.size) : undefined;
  const capture = input.kind === 'xvfb' ? { kind: 'x11grab' as const, display: xvfb!.display, size: input.size, framerate: input.framerate } : input;
  let ffmpeg: ChildProcess;
  try {
    ffmpeg = spawn('ffmpeg', ffmpegArgs(capture, encoder, seconds), { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    xvfb?.proc.kill();
    throw err;
  }
  let stderr = '';
  ffmpeg.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  let stopping = false;
  const done = new Promise<void>((resolve, reject) => {
    ffmpeg.on('error', (err) => {
      xvfb?.proc.kill();
      reject(new Error(`ffmpeg: ${err.message} (is ffmpeg installed?)`));
    });
    ffmpeg.on('close', (code, signal) => {
      xvfb?.proc.kill();
      // FFmpeg exits 255 when a SIGINT asked it to stop; the stream is still finished properly.
      if (code === 0 || (stopping && (code === 255 || signal === 'SIGINT'))) resolve();
      else reject(new Error(`ffmpeg exited with ${code ?? signal}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
  // Handled here so an early failure (no ffmpeg binary) never surfaces as an unhandled rejection; awaiting still rejects.
  done.catch(() => undefined);
  return {
    media: ffmpeg.stdout!,
    stop: () => {
      if (stopping || ffmpeg.exitCode !== null) return;
      stopping = true;
      ffmpeg.kill('SIGINT');
      setTimeout(() => ffmpeg.exitCode === null && ffmpeg.kill('SIGKILL'), 5000).unref();
    },
    done,
  };
}
