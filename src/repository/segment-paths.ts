// Where segments live and which exist (spec §1.5): data/<n // segments_per_dir>/<n>, decimal names,
// anything that is not all digits ignored. Zero-length files count as deleted (a segment is
// truncated before unlink, and the two may be split by a crash).
import { readdirSync, statSync, unlinkSync, truncateSync } from 'node:fs';
import { join } from 'node:path';

const DIGITS = /^\d+$/;

export class SegmentPaths {
  readonly dataDir: string;

  constructor(readonly repoPath: string, readonly segmentsPerDir: number) {
    this.dataDir = join(repoPath, 'data');
  }

  dirOf(segment: number): string {
    return join(this.dataDir, String(Math.floor(segment / this.segmentsPerDir)));
  }

  filename(segment: number): string {
    return join(this.dirOf(segment), String(segment));
  }

  /**
   * Segment numbers present on disk, ascending (or descending), starting at `from` (inclusive),
   * including empty files: cleanup and transaction detection need to see them.
   */
  list(options: { from?: number; reverse?: boolean } = {}): number[] {
    const reverse = options.reverse ?? false;
    const from = options.from ?? (reverse ? 2 ** 32 - 1 : 0);
    const fromDir = Math.floor(from / this.segmentsPerDir);
    const inRange = (n: number, bound: number): boolean => (reverse ? n <= bound : n >= bound);
    const dirs = readdirSync(this.dataDir)
      .filter((d) => DIGITS.test(d) && inRange(Number(d), fromDir))
      .sort((a, b) => (reverse ? Number(b) - Number(a) : Number(a) - Number(b)));
    const out: number[] = [];
    for (const d of dirs) {
      let names: string[];
      try {
        names = readdirSync(join(this.dataDir, d));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOTDIR' || (e as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw e;
      }
      const segs = names
        .filter((n) => DIGITS.test(n) && inRange(Number(n), from))
        .map(Number)
        .sort((a, b) => (reverse ? b - a : a - b));
      out.push(...segs);
    }
    return out;
  }

  latest(): number | undefined {
    return this.list({ reverse: true })[0];
  }

  /** Size in bytes; throws ENOENT if missing. */
  size(segment: number): number {
    return statSync(this.filename(segment)).size;
  }

  /** True if the file exists and is not empty. */
  exists(segment: number): boolean {
    try {
      return statSync(this.filename(segment)).size > 0;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }

  /**
   * Removes a segment file. When the file system is full, unlinking can fail for lack of space for
   * the directory update; truncating first (only if no other hardlink shares the data) frees it.
   */
  delete(segment: number): void {
    const path = this.filename(segment);
    try {
      unlinkSync(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'ENOSPC' || statSync(path).nlink > 1) throw e;
      truncateSync(path, 0);
      unlinkSync(path);
    }
  }
}
