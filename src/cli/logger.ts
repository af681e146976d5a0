// borg's logging on stderr: named loggers ("borg.archiver", "borg.output.list", ...) in a
// hierarchy whose levels work like Python's logging module, printed as the bare message or, with
// --log-json, as one {"type": "log_message", ...} JSON object per line (borg's JsonFormatter).

import { pythonJsonDumps } from './json.js';
import { PyFloat } from '../archive/placeholders.js';
import type { LogLevel, LogSink } from '../progress.js';

export const LEVELS = { debug: 10, info: 20, warning: 30, error: 40, critical: 50 } as const satisfies Record<LogLevel, number>;

const LEVEL_NAMES: Record<LogLevel, string> = { debug: 'DEBUG', info: 'INFO', warning: 'WARNING', error: 'ERROR', critical: 'CRITICAL' };

export interface LogManagerOptions {
  /** The root level (--debug/--info/--warning/--error/--critical); default warning. */
  level?: LogLevel;
  json?: boolean;
  write: (text: string) => void;
  /** Seconds since the epoch as a float; injectable for tests. */
  clock?: () => number;
}

/** The logger tree of one command run. */
export class LogManager {
  readonly json: boolean;
  private readonly levels = new Map<string, number>();
  private readonly write: (text: string) => void;
  private readonly clock: () => number;

  constructor(options: LogManagerOptions) {
    this.json = options.json ?? false;
    this.write = options.write;
    this.clock = options.clock ?? (() => (performance.timeOrigin + performance.now()) / 1000);
    this.levels.set('', LEVELS[options.level ?? 'warning']);
  }

  /** Like logging.getLogger(name).setLevel(level); the root logger is ''. */
  setLevel(name: string, level: LogLevel): void {
    this.levels.set(name, LEVELS[level]);
  }

  /** The level of the nearest configured ancestor, as Python's getEffectiveLevel(). */
  effectiveLevel(name: string): number {
    for (let current = name; ; current = current.slice(0, Math.max(0, current.lastIndexOf('.')))) {
      const level = this.levels.get(current);
      if (level !== undefined) return level;
      // borg's debug topics (borg.debug.<topic>) stay quiet unless --debug-topic enables them.
      if (current.startsWith('borg.debug.')) return LEVELS.warning;
      if (current === '') return LEVELS.warning;
    }
  }

  isEnabledFor(name: string, level: LogLevel): boolean {
    return LEVELS[level] >= this.effectiveLevel(name);
  }

  getLogger(name: string): Logger {
    return new Logger(this, name);
  }

  /** Emits one record if `name` is enabled for `level`. */
  log(name: string, level: LogLevel, message: string, msgid?: string): void {
    if (!this.isEnabledFor(name, level)) return;
    this.write(this.format(name, level, message, msgid));
  }

  /** One formatted line including its newline. */
  format(name: string, level: LogLevel, message: string, msgid?: string): string {
    if (!this.json) return `${message}\n`;
    // Key order and falsy-value rules are those of borg's JsonFormatter.
    const record: Record<string, unknown> = {
      type: 'log_message', time: new PyFloat(this.clock()), message, levelname: LEVEL_NAMES[level], name,
    };
    if (msgid) record['msgid'] = msgid;
    return `${pythonJsonDumps(record)}\n`;
  }
}

/** A named logger; also a LogSink for library code (whose `name` option overrides this name). */
export class Logger implements LogSink {
  constructor(private readonly manager: LogManager, readonly name: string) {}

  log(level: LogLevel, message: string, options: { name?: string; msgid?: string } = {}): void {
    this.manager.log(options.name ?? this.name, level, message, options.msgid);
  }

  debug(message: string, msgid?: string): void {
    this.manager.log(this.name, 'debug', message, msgid);
  }

  info(message: string, msgid?: string): void {
    this.manager.log(this.name, 'info', message, msgid);
  }

  warning(message: string, msgid?: string): void {
    this.manager.log(this.name, 'warning', message, msgid);
  }

  error(message: string, msgid?: string): void {
    this.manager.log(this.name, 'error', message, msgid);
  }

  critical(message: string, msgid?: string): void {
    this.manager.log(this.name, 'critical', message, msgid);
  }

  isEnabledFor(level: LogLevel): boolean {
    return this.manager.isEnabledFor(this.name, level);
  }

  child(suffix: string): Logger {
    return new Logger(this.manager, `${this.name}.${suffix}`);
  }
}
