// The sinks library code receives through its options to report log messages, progress and
// warnings without knowing who shows them (the CLI, the web UI, a test). The records follow
// borg's --log-json types, so a JSON renderer only has to serialise them.
//
// This file imports nothing and nothing of the CLI: it is meant to move below the library layers
// (e.g. src/progress.ts), where library code may import it.

export type LogLevel = 'debug' | 'info' | 'warning' | 'error' | 'critical';

export interface LogSink {
  /** `name` is the logger name shown by --log-json, e.g. "borg.repository"; `msgid` a stable id. */
  log(level: LogLevel, message: string, options?: { name?: string; msgid?: string }): void;
}

export const SILENT_LOG: LogSink = { log() {} };

export interface ProgressMessageEvent {
  type: 'progress_message';
  /** Distinguishes concurrent operations; from nextOperationId(). */
  operation: number;
  /** borg's operation name, e.g. "cache.sync" (see borg's frontends docs). */
  msgid: string | null;
  finished: boolean;
  message?: string;
}

export interface ProgressPercentEvent {
  type: 'progress_percent';
  operation: number;
  msgid: string | null;
  finished: boolean;
  message?: string;
  current?: number;
  total?: number;
  info?: string[];
}

export interface ArchiveProgressEvent {
  type: 'archive_progress';
  finished: boolean;
  original_size?: number;
  compressed_size?: number;
  deduplicated_size?: number;
  nfiles?: number;
  path?: string;
  /** borg-ts only: the expected original size of the whole backup, when `create` could estimate it. */
  estimated_size?: number;
}

/** One line of `create --list` and friends: status letter and path. */
export interface FileStatusEvent {
  type: 'file_status';
  status: string;
  path: string;
}

export type ProgressEvent = ProgressMessageEvent | ProgressPercentEvent | ArchiveProgressEvent | FileStatusEvent;

export interface ProgressSink {
  emit(event: ProgressEvent): void;
}

export const SILENT_PROGRESS: ProgressSink = { emit() {} };

/** A condition that does not stop the operation but makes it end with a warning (exit 1). */
export interface WarningRecord {
  /** borg's class name, e.g. "FileChangedWarning", "BackupOSError"; "BorgWarning" for a generic one. */
  code: string;
  message: string;
  /** borg 1.4's specific exit code (100..127) used under BORG_EXIT_CODES=modern; default 1. */
  modernExitCode?: number;
}

export interface WarningSink {
  warn(warning: WarningRecord): void;
}

let lastOperationId = 0;

/** A process-wide unique id for one progress operation, like borg's operation counter. */
export function nextOperationId(): number {
  lastOperationId += 1;
  return lastOperationId;
}

/**
 * Reports a percentage in steps, like borg's ProgressIndicatorPercent: `show()` once per item,
 * an event only when the percentage passed the next step; `finish()` at the end.
 */
/** A percentage as borg's "%3.0f" renders it: width 3, halves rounded to even. */
export function formatPercent(percent: number): string {
  const rounded = Math.abs(percent % 1) === 0.5 ? 2 * Math.round(percent / 2) : Math.round(percent);
  return String(rounded).padStart(3);
}

export class PercentProgress {
  private readonly operation = nextOperationId();
  private counter = 0;
  private triggerAt = 0;

  constructor(
    private readonly sink: ProgressSink,
    private readonly options: {
      total: number;
      msgid: string;
      /** Percent between two events. Default 5. */
      step?: number;
      /** Renders the message; default "  7%". */
      format?: (percent: number, info?: string[]) => string;
    },
  ) {}

  show(current?: number, info?: string[]): void {
    if (current !== undefined) this.counter = current;
    const percent = this.options.total > 0 ? (this.counter * 100) / this.options.total : 100;
    this.counter += 1;
    if (percent < this.triggerAt) return;
    this.triggerAt += this.options.step ?? 5;
    const message = this.options.format?.(percent, info) ?? `${formatPercent(percent)}%`;
    const event: ProgressPercentEvent = {
      type: 'progress_percent', operation: this.operation, msgid: this.options.msgid, finished: false,
      message, current: this.counter, total: this.options.total,
    };
    if (info !== undefined) event.info = info;
    this.sink.emit(event);
  }

  finish(): void {
    this.sink.emit({ type: 'progress_percent', operation: this.operation, msgid: this.options.msgid, finished: true });
  }
}

/** Free-text progress ("Saving files cache"), like borg's ProgressIndicatorMessage. */
export class MessageProgress {
  private readonly operation = nextOperationId();

  constructor(private readonly sink: ProgressSink, private readonly msgid: string) {}

  show(message: string): void {
    this.sink.emit({ type: 'progress_message', operation: this.operation, msgid: this.msgid, finished: false, message });
  }

  finish(): void {
    this.sink.emit({ type: 'progress_message', operation: this.operation, msgid: this.msgid, finished: true });
  }
}
