// `--progress` for create: borg's archive_progress records (original, compressed and deduplicated
// size and file count so far, and the current path), at most five per second (the latest state is
// shown after a pause, where borg would keep showing an older one), plus — beyond borg —
// the estimated total original size when one is known, from which the renderer shows a percentage
// and an ETA.
import type { Statistics } from '../../cache/cache-stats.js';
import type { ArchiveProgressEvent, ProgressSink } from '../../progress.js';

const INTERVAL_MS = 200;

/** borg's remove_surrogates: undecodable bytes of a name are shown as '?'. */
function displayPath(path: string): string {
  return path.replace(/[\udc80-\udcff]/g, '?');
}

export class CreateProgress {
  #last = -Infinity;
  #estimate: number | null = null;
  #stats: Statistics | null = null;
  #path = '';
  /** Shows the latest state once the interval is over, so that a pause never leaves a stale line. */
  #timer: NodeJS.Timeout | null = null;

  constructor(private readonly sink: ProgressSink | undefined) {}

  get enabled(): boolean {
    return this.sink !== undefined;
  }

  /** The expected original size of the whole backup (bytes), once known. */
  setEstimate(bytes: number): void {
    this.#estimate = bytes;
  }

  show(stats: Statistics, path: string): void {
    if (this.sink === undefined) return;
    this.#stats = stats;
    this.#path = path;
    const wait = INTERVAL_MS - (performance.now() - this.#last);
    if (wait <= 0) this.#emit();
    else this.#timer ??= setTimeout(() => this.#emit(), wait).unref();
  }

  #emit(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    const stats = this.#stats;
    if (stats === null) return;
    this.#last = performance.now();
    const event: ArchiveProgressEvent = {
      type: 'archive_progress', finished: false, original_size: stats.osize, compressed_size: stats.csize,
      deduplicated_size: stats.usize, nfiles: stats.nfiles, path: displayPath(this.#path),
    };
    if (this.#estimate !== null) event.estimated_size = this.#estimate;
    this.sink!.emit(event);
  }

  finish(): void {
    this.stop();
    this.sink?.emit({ type: 'archive_progress', finished: true });
  }

  /** No more records (an interrupted or failed backup). */
  stop(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
