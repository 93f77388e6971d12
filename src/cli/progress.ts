/** How often a plain progress line is written when stderr is not a terminal (a log, a CI job). */
export const PROGRESS_LINE_INTERVAL_MS = 5000;

/**
 * Progress of a run over photos on stderr: a bar redrawn in place on a
 * terminal; elsewhere a plain line after the first photo, every
 * PROGRESS_LINE_INTERVAL_MS, and after the last. Silent when `quiet`.
 */
export class Progress {
  private readonly start: number;
  private lastLine = -Infinity;
  private readonly bar: boolean;

  constructor(
    private readonly total: number,
    private readonly quiet: boolean,
    private readonly stream: Pick<NodeJS.WriteStream, 'isTTY' | 'write'> = process.stderr,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.start = clock();
    this.bar = stream.isTTY === true;
  }

  /** Whether a failure report must first end the bar's line. */
  get drawingBar(): boolean {
    return !this.quiet && this.bar;
  }

  update(done: number, faces: number): void {
    if (this.quiet) return;
    const now = this.clock();
    const seconds = (now - this.start) / 1000;
    const counts = `${done}/${this.total} photos, ${faces} face${faces === 1 ? '' : 's'}, ${seconds.toFixed(1)} s, ${(done / seconds).toFixed(1)} photos/s`;
    if (this.bar) {
      const width = 30;
      const filled = Math.round((done / this.total) * width);
      // ESC[K clears the end of a longer line drawn before.
      this.stream.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${counts}\x1b[K${done === this.total ? '\n' : ''}`);
    } else if (done === 1 || done === this.total || now - this.lastLine >= PROGRESS_LINE_INTERVAL_MS) {
      this.lastLine = now;
      this.stream.write(`dlib-wasm: ${counts}\n`);
    }
  }
}
