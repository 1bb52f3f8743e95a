import type { ChunkRecord, ChunkSealer } from './chunk-codec';
import type { SessionJournal } from './session-journal';

/**
 * A recording's chunks through the sealer into the journal with the stages overlapped: while one chunk is
 * encrypted and written, the next compresses on the sealer's thread. What the journal promises is kept: its
 * lines are appended in index order, each only after its chunk is durable in the store, so a crash leaves at
 * most stored chunks without a line (their indexes are reused), never a line without its chunk.
 *
 * At most `depth` chunks are in flight; `push` waits for the oldest beyond that, so the source's backpressure
 * still keeps memory flat however long the recording.
 */
export class ChunkPipeline {
  private readonly lines: Promise<void>[] = [];
  private lastLine: Promise<void> = Promise.resolve();

  constructor(
    private readonly sealer: ChunkSealer,
    private readonly journal: SessionJournal,
    private readonly token: string,
    private readonly onJournaled: (record: ChunkRecord) => void,
    private readonly depth = 3,
  ) {}

  /** Takes `media` over (the sealer hands it to its thread). Rejects with the first failure of any chunk. */
  async push(index: number, media: Buffer): Promise<void> {
    const sealed = this.sealer.seal(index, media);
    const previous = this.lastLine;
    const line = (async () => {
      // Both awaited together, so a failure of either is handled even when the other failed first.
      const [record] = await Promise.all([sealed, previous]);
      await this.journal.append(record, this.token);
      this.onJournaled(record);
    })();
    // Marked handled here: a caller that stops at the first failure never awaits the lines behind it.
    line.catch(() => undefined);
    this.lastLine = line;
    this.lines.push(line);
    if (this.lines.length >= this.depth) await this.lines.shift();
  }

  /** Resolves when every pushed chunk is journaled; rejects with the first failure. */
  async drain(): Promise<void> {
    while (this.lines.length > 0) await this.lines.shift();
  }

  /** Waits until no chunk is in flight, whatever became of them: nothing may write after the caller gave up. */
  async settle(): Promise<void> {
    await Promise.allSettled(this.lines.splice(0));
  }
}
