/** A one-line progress bar on stderr; without a terminal, a line at each quarter instead of redraws. */
export class ProgressBar {
  private lastQuarter = -1;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {}

  update(done: number, note = ''): void {
    const fraction = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const pct = `${Math.floor(fraction * 100)}%`.padStart(4);
    if (this.out.isTTY) {
      const width = 30;
      const filled = Math.round(fraction * width);
      this.out.write(`\r${this.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${pct} ${note}\x1b[K`);
      return;
    }
    const quarter = Math.floor(fraction * 4);
    if (quarter > this.lastQuarter) {
      this.lastQuarter = quarter;
      this.out.write(`${this.label} ${pct} ${note}\n`);
    }
  }

  finish(note = ''): void {
    this.update(this.total, note);
    if (this.out.isTTY) this.out.write('\n');
  }
}
