/**
 * The CLI's progress line on stderr: a bar with percent and elapsed time on a terminal, a line per
 * 10% otherwise (logs stay readable).
 */

const BAR_WIDTH = 30;

export class ProgressBar {
  readonly #stream: NodeJS.WriteStream;
  readonly #started = Date.now();
  readonly #label: string;
  #lastTenth = -1;
  #drawn = false;

  constructor(label: string, stream: NodeJS.WriteStream = process.stderr) {
    this.#label = label;
    this.#stream = stream;
  }

  /** Shows progress: `fraction` 0–1, or null when unknown (then `seconds` of media done is shown). */
  update(fraction: number | null, mediaSeconds = 0): void {
    const elapsed = ((Date.now() - this.#started) / 1000).toFixed(1);
    if (this.#stream.isTTY) {
      const text =
        fraction === null
          ? `${this.#label} ${mediaSeconds.toFixed(1)} s of media, ${elapsed} s`
          : `${this.#label} [${'#'.repeat(Math.round(fraction * BAR_WIDTH)).padEnd(BAR_WIDTH, '.')}] ${(fraction * 100).toFixed(0).padStart(3)}%  ${elapsed} s`;
      this.#stream.write(`\r${text}\x1b[K`);
      this.#drawn = true;
    } else if (fraction !== null) {
      const tenth = Math.floor(fraction * 10);
      if (tenth > this.#lastTenth) {
        this.#lastTenth = tenth;
        this.#stream.write(`${this.#label} ${tenth * 10}% (${elapsed} s)\n`);
      }
    }
  }

  /** Ends the line. */
  done(message: string): void {
    if (this.#drawn) this.#stream.write('\r\x1b[K');
    this.#stream.write(`${message}\n`);
  }
}
