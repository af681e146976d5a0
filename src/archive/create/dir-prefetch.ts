// Directory listings read ahead of the walk: while the walk stores one directory's entries, the
// next directories it will probably enter are already being scanned on the thread pool. A scan's
// failure is kept with its result and only thrown when the walk asks for that directory, so
// errors surface where and when they did before; results the walk never asks for (excluded or
// tagged directories) are dropped once their parent is done.
import { scanDir, type ScannedEntry } from '../../platform/dir-scan.js';
import { fsPath } from '../../format/surrogate-escape.js';

type Outcome = { entries: ScannedEntry[] } | { error: unknown };

interface Scan {
  outcome: Promise<Outcome>;
  /** Entries held once finished (0 while running). */
  held: number;
}

/**
 * How far ahead: directories scanned and not yet taken, and the entries they hold (big directories
 * must not pile up in memory). The scans run while the walk stores other entries, which on a busy
 * machine is often the only time a thread-pool thread gets a core: a deep lead keeps them done in time.
 */
const AHEAD_DIRS = 64;
const AHEAD_ENTRIES = 100_000;
/** Scans running at once (libuv's pool has 4 threads, other file system work needs some). */
const RUNNING = 2;

export class DirPrefetch {
  /** Started scans by absolute path. */
  readonly #started = new Map<string, Scan>();
  /** Directories to scan next, in the order the walk will probably reach them. */
  #queue: string[] = [];
  #running = 0;
  #held = 0;

  constructor(private readonly wantFlags: boolean, private readonly wantXattrs: boolean) {}

  /** The entries of `abs` (in file system order); throws what opendir/readdir threw. */
  async entries(abs: string): Promise<ScannedEntry[]> {
    let scan = this.#started.get(abs);
    if (scan !== undefined) {
      this.#drop(abs, scan);
    } else {
      const i = this.#queue.indexOf(abs);
      if (i >= 0) this.#queue.splice(i, 1);
      scan = this.#scan(abs);
    }
    this.#pump();
    const outcome = await scan.outcome;
    if ('error' in outcome) throw outcome.error;
    return outcome.entries;
  }

  /** Subdirectories of a directory just listed, in walk order: they come before anything queued. */
  ahead(dirs: string[]): void {
    if (dirs.length === 0) return;
    this.#queue = dirs.concat(this.#queue);
    this.#pump();
  }

  /** Drops queued and finished scans of `dirs` (the walk is done with their parent). */
  forget(dirs: string[]): void {
    if (dirs.length === 0) return;
    const gone = new Set(dirs);
    for (const dir of dirs) {
      const scan = this.#started.get(dir);
      if (scan !== undefined) this.#drop(dir, scan);
    }
    this.#queue = this.#queue.filter((d) => !gone.has(d));
    this.#pump();
  }

  #drop(abs: string, scan: Scan): void {
    this.#started.delete(abs);
    this.#held -= scan.held;
    scan.held = 0;
  }

  #scan(abs: string): Scan {
    this.#running += 1;
    const scan: Scan = { outcome: Promise.resolve({ entries: [] }), held: 0 };
    scan.outcome = scanDir(fsPath(abs), this.wantFlags, this.wantXattrs).then(
      (entries): Outcome => {
        this.#finished(abs, scan, entries.length);
        return { entries };
      },
      (error: unknown): Outcome => {
        this.#finished(abs, scan, 0);
        return { error };
      },
    );
    return scan;
  }

  #finished(abs: string, scan: Scan, count: number): void {
    this.#running -= 1;
    if (this.#started.get(abs) === scan) {
      scan.held = count;
      this.#held += count;
    }
    this.#pump();
  }

  #pump(): void {
    while (this.#running < RUNNING && this.#started.size < AHEAD_DIRS && this.#held < AHEAD_ENTRIES && this.#queue.length > 0) {
      const abs = this.#queue.shift()!;
      this.#started.set(abs, this.#scan(abs));
    }
  }
}
