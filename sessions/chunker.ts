/**
 * Cuts a byte stream into chunks of exactly `size` bytes (the last one
 * shorter; none for an empty stream). Holds at most one chunk: the consumer
 * finishes a chunk before the next is read, so the source's backpressure
 * keeps memory flat however long the stream.
 */
export async function* fixedChunks(source: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  if (!Number.isInteger(size) || size <= 0) throw new Error(`chunk size must be a positive integer, got ${size}`);
  let chunk = Buffer.allocUnsafe(size);
  let filled = 0;
  for await (const piece of source) {
    let offset = 0;
    while (offset < piece.length) {
      const n = Math.min(size - filled, piece.length - offset);
      piece.copy(chunk, filled, offset, offset + n);
      filled += n;
      offset += n;
      if (filled === size) {
        yield chunk;
        chunk = Buffer.allocUnsafe(size);
        filled = 0;
      }
    }
  }
  if (filled > 0) yield chunk.subarray(0, filled);
}
