import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { blake3 } from '@napi-rs/blake-hash';
import { Compressor } from 'zstd-napi';
import { sealChunk } from '../sessions/chunk-cipher';
import { ChunkSealer } from '../sessions/chunk-codec';
import { ChunkPipeline } from '../sessions/chunk-pipeline';
import { ChunkStore } from '../sessions/chunk-store';
import { fixedChunks } from '../sessions/chunker';
import { deriveSessionKey } from '../sessions/session-key';
import { SessionJournal } from '../sessions/session-journal';
import { MIB, syntheticStream } from './synthetic-stream';

/**
 * bench:chunks: the session pipeline (chunk -> zstd -> XChaCha20-Poly1305 ->
 * BLAKE3 -> atomic store write -> journal) over a synthetic stream, half
 * compressible and half random in alternating 1 MiB blocks, against each stage
 * alone over the same bytes; peak RSS of the pipeline for 256 MiB and 1 GiB,
 * each in its own process; and CPU seconds per recorded hour at 8 Mbit/s.
 */
const CHUNK = 8 * MIB;
const TOTAL = Number(process.env.BENCH_BYTES ?? 1024 * MIB);
const KEY = deriveSessionKey(Buffer.alloc(32, 9), 'bench');

async function timeStage(
  total: number,
  stage: (chunk: Buffer, index: number) => unknown,
  finish: () => Promise<void> = async () => undefined,
): Promise<{ ms: number; cpuMs: number }> {
  // process.cpuUsage() counts every thread of the process, so the pipeline's zstd thread is in its CPU figure.
  const cpu = process.cpuUsage();
  const t = performance.now();
  let i = 0;
  for await (const chunk of fixedChunks(syntheticStream(total), CHUNK)) await stage(chunk, i++);
  await finish();
  const used = process.cpuUsage(cpu);
  return { ms: performance.now() - t, cpuMs: (used.user + used.system) / 1000 };
}

async function pipeline(total: number): Promise<{ ms: number; cpuMs: number; maxRssMiB: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-bench-chunks-'));
  try {
    const sealer = new ChunkSealer(KEY, 'bench', new ChunkStore(path.join(dir, 'store')), 3);
    const journal = new SessionJournal(path.join(dir, 'journal'), 'bench');
    const chunks = new ChunkPipeline(sealer, journal, journal.claim(), () => undefined);
    try {
      const r = await timeStage(total, (chunk, i) => chunks.push(i, chunk), () => chunks.drain());
      return { ...r, maxRssMiB: process.resourceUsage().maxRSS / 1024 };
    } finally {
      await chunks.settle();
      await sealer.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The pipeline in a fresh process, so its peak RSS is its own. */
function pipelineInChild(total: number): { ms: number; cpuMs: number; maxRssMiB: number } {
  const out = execFileSync(process.execPath, [__filename, '--pipeline', String(total)], { env: process.env });
  return JSON.parse(out.toString()) as { ms: number; cpuMs: number; maxRssMiB: number };
}

async function main(): Promise<void> {
  if (process.argv[2] === '--pipeline') {
    process.stdout.write(JSON.stringify(await pipeline(Number(process.argv[3]))));
    return;
  }
  const mb = TOTAL / 1e6;
  const zstd = new Compressor();
  zstd.setParameters({ compressionLevel: 3 });
  let stored = 0;
  const stages = {
    zstd: await timeStage(TOTAL, (c) => (stored += zstd.compress(c).length)),
    'xchacha20-poly1305': await timeStage(TOTAL, (c, i) => sealChunk(KEY, 'bench', i, c)),
    blake3: await timeStage(TOTAL, (c) => blake3(c)),
  };
  const small = pipelineInChild(256 * MIB);
  const full = pipelineInChild(TOTAL);
  const slowest = Object.entries(stages).reduce((a, b) => (a[1].ms > b[1].ms ? a : b));
  const mbps = (ms: number) => mb / (ms / 1000);
  const hourBytes = (8e6 / 8) * 3600;
  process.stdout.write(
    [
      `bench:chunks (${(TOTAL / MIB).toFixed(0)} MiB, half compressible / half random, ${CHUNK / MIB} MiB chunks; zstd ratio ${(TOTAL / stored).toFixed(2)})`,
      ...Object.entries(stages).map(([name, s]) => `  ${name.padEnd(20)} alone ${mbps(s.ms).toFixed(0).padStart(6)} MB/s`),
      `  pipeline (all stages overlapped: zstd on its own thread; fsynced store + journal) ${mbps(full.ms).toFixed(0)} MB/s   ratio to the slowest stage (${slowest[0]}) ${(slowest[1].ms / full.ms).toFixed(3)}`,
      `  peak RSS   256 MiB stream ${small.maxRssMiB.toFixed(0)} MiB   ${(TOTAL / MIB).toFixed(0)} MiB stream ${full.maxRssMiB.toFixed(0)} MiB   ratio ${(full.maxRssMiB / small.maxRssMiB).toFixed(3)}`,
      `  CPU per recorded hour at 8 Mbit/s: ${((full.cpuMs / 1000) * (hourBytes / TOTAL)).toFixed(1)} s (pipeline only; the encoder is FFmpeg's)`,
      '',
    ].join('\n'),
  );
}

main().catch((err: Error) => {
  process.stderr.write(`bench:chunks: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
