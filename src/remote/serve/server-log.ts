// The server's log on stderr, in the form borg's client reads it back (spec §6.6): until a client
// negotiates the dict protocol, `$LOG LEVEL logger Remote: message` lines; after that one JSON
// object per line, which the client re-emits under its own log level. The server filters by the
// level the client asked for (serve --info/--debug/...), like borg's server.
import type { LogLevel, LogSink, ProgressSink } from '../../progress.js';

const LEVEL_VALUES: Record<LogLevel, number> = { debug: 10, info: 20, warning: 30, error: 40, critical: 50 };

export interface ServerLogOptions {
  /** Root level; default warning. */
  level?: LogLevel;
  /** Logger names enabled at debug level (serve --debug-topic). */
  debugTopics?: readonly string[];
  write: (line: string) => void;
  /** Seconds since the epoch; injectable for tests. */
  clock?: () => number;
}

export class ServerLog {
  #json = false;
  readonly #level: number;
  readonly #topics: readonly string[];
  readonly #write: (line: string) => void;
  readonly #clock: () => number;

  constructor(options: ServerLogOptions) {
    this.#level = LEVEL_VALUES[options.level ?? 'warning'];
    this.#topics = (options.debugTopics ?? []).map((t) => (t.includes('.') ? t : `borg.debug.${t}`));
    this.#write = options.write;
    this.#clock = options.clock ?? (() => (performance.timeOrigin + performance.now()) / 1000);
  }

  /** Switches to JSON lines (after a dict-format negotiation). */
  useJson(): void {
    this.#json = true;
  }

  get json(): boolean {
    return this.#json;
  }

  isEnabledFor(name: string, level: LogLevel): boolean {
    const topic = this.#topics.some((t) => name === t || name.startsWith(`${t}.`));
    if (topic) return true;
    // Debug topics stay quiet unless enabled, whatever the root level.
    if (name.startsWith('borg.debug.')) return LEVEL_VALUES[level] >= LEVEL_VALUES.warning;
    return LEVEL_VALUES[level] >= this.#level;
  }

  log(name: string, level: LogLevel, message: string, msgid?: string): void {
    if (!this.isEnabledFor(name, level)) return;
    const levelname = level.toUpperCase();
    if (!this.#json) {
      this.#write(`$LOG ${levelname} ${name} Remote: ${message}\n`);
      return;
    }
    // Field order of borg's JsonFormatter; a missing msgid is left out like its falsy values.
    const record: Record<string, unknown> = { type: 'log_message', time: this.#clock(), message, levelname, name };
    if (msgid) record['msgid'] = msgid;
    this.#write(`${JSON.stringify(record)}\n`);
  }

  /**
   * Progress of server-side work (compaction) as borg's server sends it: JSON progress records,
   * which the client shows only with --progress. Old (legacy-format) clients get none.
   */
  progressSink(): ProgressSink {
    return {
      emit: (event) => {
        if (!this.#json || (event.type !== 'progress_percent' && event.type !== 'progress_message')) return;
        // borg's field order: the message fields first, then operation, msgid, type, finished, time.
        const fields: Record<string, unknown> = {};
        if (!event.finished) {
          fields['message'] = event.message;
          if (event.type === 'progress_percent') Object.assign(fields, { current: event.current, total: event.total, info: event.info ?? null });
        }
        Object.assign(fields, { operation: event.operation, msgid: event.msgid, type: event.type, finished: event.finished, time: this.#clock() });
        this.#write(`${JSON.stringify(fields)}\n`);
      },
    };
  }

  /** A LogSink for library code, logging under `name` unless a record names its own logger. */
  sink(name: string): LogSink {
    return { log: (level, message, options = {}) => this.log(options.name ?? name, level, message, options.msgid) };
  }
}
