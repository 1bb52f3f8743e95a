import { CreateBucketCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { S3Target } from '../config/s3-config';
import { leafHash } from './merkle-tree';

/** The S3 client replication uses: also what bench:replication times a bare upload with. */
export function s3Client(target: S3Target): S3Client {
  return new S3Client({
    endpoint: target.endpoint,
    region: target.region,
    credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
    // MinIO and most self-hosted stores address buckets by path, not by a DNS name per bucket.
    forcePathStyle: true,
    // The activity's retries are the durable ones; the client only smooths over one dropped connection.
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 5000, requestTimeout: 60_000 },
  });
}

/**
 * The S3 side of a node's sealed chunks: one object per chunk under its BLAKE3 leaf, so the same chunk is the
 * same key whoever writes it and whenever. The store only ever sees ciphertext; nothing here holds a key.
 */
export class ChunkBucket {
  private readonly client: S3Client;
  private bucketReady?: Promise<void>;

  constructor(readonly target: S3Target) {
    this.client = s3Client(target);
  }

  keyOf(leaf: string): string {
    if (!/^[0-9a-f]{64}$/.test(leaf)) throw new Error(`not a chunk address: ${leaf}`);
    return `chunks/${leaf}`;
  }

  /** Creates the bucket when it does not exist (once per process). */
  ensureBucket(): Promise<void> {
    this.bucketReady ??= (async () => {
      try {
        await this.client.send(new HeadBucketCommand({ Bucket: this.target.bucket }));
      } catch (err) {
        if (!notFound(err)) throw this.wrap(err, 'head bucket');
        await this.client.send(new CreateBucketCommand({ Bucket: this.target.bucket })).catch((e: unknown) => {
          // Another node may create it at the same moment.
          if (!(e instanceof S3ServiceException && /BucketAlready(OwnedByYou|Exists)/.test(e.name))) throw this.wrap(e, 'create bucket');
        });
      }
    })().catch((err: unknown) => {
      this.bucketReady = undefined;
      throw err;
    });
    return this.bucketReady;
  }

  /**
   * Puts `data` under `leaf` unless the bucket already holds exactly it, then reads it back and checks size and
   * leaf: only then is it a copy. A retry after a crash finds the object and writes nothing; an object of other
   * bytes under the key (cut short, changed) is written again.
   */
  async putVerified(leaf: string, data: Buffer): Promise<{ written: boolean }> {
    if (leafHash(data).toString('hex') !== leaf) throw new Error(`chunk ${leaf.slice(0, 12)}…: the local bytes do not match their leaf; not replicated`);
    await this.ensureBucket();
    const holds = (b: Buffer | undefined) => b !== undefined && b.length === data.length && leafHash(b).toString('hex') === leaf;
    if ((await this.sizeOf(leaf)) === data.length && holds(await this.get(leaf))) return { written: false };
    await this.client.send(new PutObjectCommand({ Bucket: this.target.bucket, Key: this.keyOf(leaf), Body: data })).catch((err: unknown) => {
      throw this.wrap(err, `put ${leaf.slice(0, 12)}…`);
    });
    const back = await this.get(leaf);
    if (!holds(back)) throw new Error(`${this.where(leaf)}: reads back ${back?.length ?? 'no'} bytes that do not hash to the leaf (wrote ${data.length})`);
    return { written: true };
  }

  /** The object's bytes, undefined when there is none; never checked here (the reader checks the leaf). */
  async get(leaf: string): Promise<Buffer | undefined> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.target.bucket, Key: this.keyOf(leaf) }));
      return Buffer.from(await out.Body!.transformToByteArray());
    } catch (err) {
      if (notFound(err)) return undefined;
      throw this.wrap(err, `get ${leaf.slice(0, 12)}…`);
    }
  }

  where(leaf: string): string {
    return `s3://${this.target.bucket}/${this.keyOf(leaf)} at ${this.target.endpoint}`;
  }

  close(): void {
    this.client.destroy();
  }

  /** The object's size, undefined when there is none: a HEAD, so a missing copy costs no download. */
  private async sizeOf(leaf: string): Promise<number | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.target.bucket, Key: this.keyOf(leaf) }));
      return head.ContentLength;
    } catch (err) {
      if (notFound(err)) return undefined;
      throw this.wrap(err, `head ${leaf.slice(0, 12)}…`);
    }
  }

  private wrap(err: unknown, what: string): Error {
    const name = err instanceof S3ServiceException ? `${err.name}: ` : '';
    return new Error(`s3 ${this.target.endpoint}, bucket ${this.target.bucket}: ${what}: ${name}${(err as Error).message}`, { cause: err });
  }
}

function notFound(err: unknown): boolean {
  return err instanceof S3ServiceException && (err.$metadata.httpStatusCode === 404 || err.name === 'NoSuchKey' || err.name === 'NotFound' || err.name === 'NoSuchBucket');
}
