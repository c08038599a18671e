/** A one-line progress bar on a terminal; silent when the stream is not a TTY. */
export class ProgressBar {
  private lastDraw = 0;
  private readonly started = Date.now();
  private drawn = false;

  constructor(private readonly stream: NodeJS.WriteStream, private readonly label: string, private readonly total: number, private readonly startAt: number) {}

  update(done: number, force = false): void {
    if (!this.stream.isTTY) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const frac = this.total > 0 ? Math.min(1, done / this.total) : 0;
    const width = 24;
    const filled = Math.round(frac * width);
    const rate = (done - this.startAt) / Math.max(0.001, (now - this.started) / 1000);
    const line = `${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}% ${mib(done)}/${mib(this.total)} MiB ${mib(rate)} MiB/s`;
    this.stream.write(`\r${line.slice(0, (this.stream.columns || 100) - 1)}\x1b[K`);
    this.drawn = true;
  }

  finish(): void {
    if (this.drawn) this.stream.write('\n');
  }
}

function mib(n: number): string {
  return (n / 1048576).toFixed(1);
}
