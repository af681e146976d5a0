// borg's extract progress: "%5.1f%% Extracting: PATH" in steps of 0.1 % of the bytes to extract
// (msgid "extract"), after a first pass over the items that adds up that total.
import { nextOperationId, type ProgressSink } from '../../progress.js';
import { removeSurrogates } from '../display-text.js';

const STEP = 0.1;

export class ExtractProgress {
  readonly #operation = nextOperationId();
  #total = 0;
  #counter = 0;
  #triggerAt = 0;

  constructor(private readonly sink: ProgressSink) {}

  /** A message of the same operation, before the total is known (borg's pi.output). */
  announce(message: string): void {
    this.sink.emit({ type: 'progress_percent', operation: this.#operation, msgid: 'extract', finished: false, message, current: 0, total: 0 });
  }

  set total(bytes: number) {
    this.#total = bytes;
  }

  /** `bytes` more of `path` were extracted; the percentage shown is the one before them, like borg's. */
  advance(bytes: number, path: string): void {
    if (this.#total <= 0) return;
    const percent = (this.#counter * 100) / this.#total;
    this.#counter += bytes;
    if (percent < this.#triggerAt) return;
    this.#triggerAt += STEP;
    const shown = removeSurrogates(path);
    this.sink.emit({
      type: 'progress_percent', operation: this.#operation, msgid: 'extract', finished: false,
      message: `${percent.toFixed(1).padStart(5)}% Extracting: ${shown}`, current: this.#counter, total: this.#total, info: [shown],
    });
  }

  finish(): void {
    this.sink.emit({ type: 'progress_percent', operation: this.#operation, msgid: 'extract', finished: true });
  }
}
