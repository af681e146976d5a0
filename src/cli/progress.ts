// Renders the sinks' events on stderr. With --log-json every event is one JSON line in borg's key
// order; on a terminal progress lines overwrite each other ("\r"), padded to the terminal width,
// and percentages get an ETA from the rate seen so far. File status lines go through the
// "borg.output.list" logger like borg's, so logging levels apply to them.

import { pythonJsonDumps } from './json.js';
import { formatFileSize } from './file-size.js';
import type { Logger } from './logger.js';
import type { ArchiveProgressEvent, ProgressEvent, ProgressSink } from '../progress.js';
import { PyFloat } from '../archive/placeholders.js';

export interface ProgressRendererOptions {
  json: boolean;
  write: (text: string) => void;
  /** Terminal width; undefined when stderr's width is unknown (no padding then). */
  columns?: number;
  iec?: boolean;
  /** Receives file status lines in text mode. */
  listLogger: Logger;
  /** Seconds since the epoch as a float; injectable for tests. */
  clock?: () => number;
}

/** The key of create's archive progress among the operations whose start times are kept for ETAs. */
const ARCHIVE_PROGRESS = -1;

export class ProgressRenderer implements ProgressSink {
  private readonly clock: () => number;
  private readonly started = new Map<number, number>();

  constructor(private readonly options: ProgressRendererOptions) {
    this.clock = options.clock ?? (() => (performance.timeOrigin + performance.now()) / 1000);
  }

  emit(event: ProgressEvent): void {
    if (this.options.json) this.options.write(`${pythonJsonDumps(this.jsonRecord(event))}\n`);
    else this.renderText(event);
  }

  private jsonRecord(event: ProgressEvent): Record<string, unknown> {
    const time = new PyFloat(this.clock());
    switch (event.type) {
      case 'file_status':
        return { type: event.type, status: event.status, path: event.path };
      case 'archive_progress': {
        const { type, finished, ...stats } = event;
        return { ...stats, time, type, finished };
      }
      default: {
        const { type, operation, msgid, finished, ...details } = event;
        return { ...details, operation, msgid, type, finished, time };
      }
    }
  }

  private renderText(event: ProgressEvent): void {
    switch (event.type) {
      case 'file_status':
        this.options.listLogger.info(`${event.status} ${event.path}`);
        return;
      case 'archive_progress': {
        // Unlike the other lines, borg assumes 80 columns here when the width is unknown.
        const text = event.finished ? ' '.repeat(this.options.columns ?? 80) : this.archiveLine(event);
        this.options.write(`${text}\r`);
        if (event.finished) this.started.delete(ARCHIVE_PROGRESS);
        return;
      }
      case 'progress_percent':
        this.writeLine(event.finished ? '' : `${event.message ?? ''}${this.eta(event.operation, event.current, event.total)}`);
        if (event.finished) this.started.delete(event.operation);
        return;
      case 'progress_message':
        this.writeLine(event.finished ? '' : event.message ?? '');
    }
  }

  /** borg's "{osize} O {csize} C {dsize} D {nfiles} N path" line, the path cut to fit. */
  private archiveLine(event: ArchiveProgressEvent): string {
    const size = (n: number | undefined) => formatFileSize(n ?? 0, { iec: this.options.iec ?? false });
    let line = `${size(event.original_size)} O ${size(event.compressed_size)} C ${size(event.deduplicated_size)} D ${event.nfiles ?? 0} N `;
    // borg-ts: with an estimated total, a percentage and an ETA (rate since the first line) in front.
    if (!this.started.has(ARCHIVE_PROGRESS)) this.started.set(ARCHIVE_PROGRESS, this.clock());
    if (event.estimated_size) {
      const done = event.original_size ?? 0;
      const percent = Math.min(99.9, (done * 100) / event.estimated_size);
      line = `${percent.toFixed(1).padStart(4)}%${this.eta(ARCHIVE_PROGRESS, done, event.estimated_size)} ${line}`;
    }
    const columns = this.options.columns ?? 80;
    let space = columns - line.length;
    if (space < 12) {
      line = '';
      space = columns;
    }
    return space >= 8 ? line + truncateMiddle(event.path ?? '', space) : line;
  }

  private eta(operation: number, current?: number, total?: number): string {
    const now = this.clock();
    const start = this.started.get(operation);
    if (start === undefined) this.started.set(operation, now);
    if (start === undefined || !current || !total || current >= total) return '';
    const elapsed = now - start;
    if (elapsed < 2) return '';
    const remaining = Math.round((elapsed * (total - current)) / current);
    const h = Math.floor(remaining / 3600);
    const m = Math.floor(remaining / 60) % 60;
    const s = remaining % 60;
    return ` ETA ${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
  }

  private writeLine(text: string): void {
    const { columns } = this.options;
    this.options.write(`${columns !== undefined ? text.padEnd(columns) : text}\r`);
  }
}

/** borg's ellipsis_truncate: keep both ends of a long path, "..." in the middle, pad short ones. */
function truncateMiddle(text: string, space: number): string {
  if (space < 8) return `...${' '.repeat(Math.max(0, space - 3))}`;
  if (text.length <= space - 3) return text.padEnd(space);
  return `${text.slice(0, Math.floor(space / 2) - 3)}...${text.slice(text.length - Math.ceil(space / 2))}`;
}
