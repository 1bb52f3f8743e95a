import { Decompressor } from 'zstd-napi';
import { ChunkAuthError, openChunk, sealChunk } from './chunk-cipher';
import type { ChunkStore } from './chunk-store';
import { leafHash } from './merkle-tree';
import { ZstdThread } from './zstd-thread';

/** One chunk as the manifest lists it; never its key or contents. */
export interface ChunkRecord {
  index: number;
  /** Bytes of recorded media in the chunk. */
  size: number;
  /** Bytes stored (compressed, sealed). */
  stored: number;
  /** BLAKE3 leaf hash of the stored ciphertext, hex: also its address in the store. */
  leaf: string;
  nonce: string;
}

/** The parameters a manifest records, so a reader knows how its chunks were made. */
export interface CodecParameters {
  chunkBytes: number;
  compression: 'zstd';
  zstdLevel: number;
  cipher: 'xchacha20poly1305-ietf';
  keyDerivation: 'hkdf-sha256';
  leafHash: 'blake3';
  merkle: 'rfc6962-blake3';
}

export function codecParameters(chunkBytes: number, zstdLevel: number): CodecParameters {
  return {
    chunkBytes,
    compression: 'zstd',
    zstdLevel,
    cipher: 'xchacha20poly1305-ietf',
    keyDerivation: 'hkdf-sha256',
    leafHash: 'blake3',
    merkle: 'rfc6962-blake3',
  };
}

/** A chunk that must not be handed out: missing, changed in the store, or failing its AEAD check. */
export class ChunkIntegrityError extends Error {
  constructor(
    readonly index: number,
    readonly kind: 'missing' | 'leaf-mismatch' | 'aead-failure' | 'corrupt',
    message: string,
  ) {
    super(message);
  }
}

/** Media bytes -> zstd (on its own thread) -> XChaCha20-Poly1305 -> BLAKE3 leaf -> atomic store write. */
export class ChunkSealer {
  private readonly zstd: ZstdThread;

  constructor(
    private readonly key: Buffer,
    private readonly sessionId: string,
    private readonly store: ChunkStore,
    zstdLevel: number,
  ) {
    this.zstd = new ZstdThread(zstdLevel);
  }

  /**
   * Seals and stores one chunk; resolves once it is durable in the store. Calls may overlap: the next chunk
   * compresses while this one is encrypted and written. Takes `media` over (see ZstdThread.compress).
   */
  async seal(index: number, media: Buffer): Promise<ChunkRecord> {
    const size = media.length;
    const { nonce, ciphertext } = sealChunk(this.key, this.sessionId, index, await this.zstd.compress(media));
    const leaf = leafHash(ciphertext).toString('hex');
    await this.store.put(leaf, ciphertext);
    return { index, size, stored: ciphertext.length, leaf, nonce: nonce.toString('hex') };
  }

  close(): Promise<void> {
    return this.zstd.close();
  }
}

/** The read path: store -> leaf check -> AEAD open -> zstd -> size check. Throws rather than return doubtful bytes. */
export class ChunkOpener {
  private readonly zstd = new Decompressor();

  constructor(
    private readonly key: Buffer,
    private readonly sessionId: string,
    private readonly store: ChunkStore,
  ) {}

  open(chunk: ChunkRecord): Buffer {
    return this.openCiphertext(chunk, this.store.get(chunk.leaf));
  }

  /** The same checks on bytes read from elsewhere (a replica); undefined is a chunk no copy has. */
  openCiphertext(chunk: ChunkRecord, ciphertext: Buffer | undefined): Buffer {
    if (!ciphertext) throw new ChunkIntegrityError(chunk.index, 'missing', `chunk ${chunk.index}: not in the chunk store`);
    const leafOk = leafHash(ciphertext).toString('hex') === chunk.leaf;
    let compressed: Buffer;
    try {
      compressed = openChunk(this.key, this.sessionId, chunk.index, Buffer.from(chunk.nonce, 'hex'), ciphertext);
    } catch (err) {
      if (!(err instanceof ChunkAuthError)) throw err;
      const why = leafOk ? 'AEAD check failed' : 'stored bytes do not match its leaf hash; AEAD check failed';
      throw new ChunkIntegrityError(chunk.index, 'aead-failure', `chunk ${chunk.index} (${chunk.leaf.slice(0, 12)}…): ${why}`);
    }
    if (!leafOk) throw new ChunkIntegrityError(chunk.index, 'leaf-mismatch', `chunk ${chunk.index}: stored bytes do not match its leaf hash`);
    let media: Buffer;
    try {
      media = this.zstd.decompress(compressed);
    } catch (err) {
      throw new ChunkIntegrityError(chunk.index, 'corrupt', `chunk ${chunk.index}: does not decompress: ${(err as Error).message}`);
    }
    if (media.length !== chunk.size) throw new ChunkIntegrityError(chunk.index, 'corrupt', `chunk ${chunk.index}: ${media.length} bytes, manifest says ${chunk.size}`);
    return media;
  }
}
