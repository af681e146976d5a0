// What the client does with the server's stderr lines (spec §6.6): log records are logged again
// under the server's logger name and level with "Remote: " in front, progress records go to the
// client's progress sink (which shows them only with --progress), and any other line (ssh's own
// messages, a crashing server) is passed on as it is, also with "Remote: " in front.
import type { LogSink, ProgressEvent, ProgressSink } from '../progress.js';
import type { LogLevelName, RemoteLogRecord } from './rpc/rpc-log-lines.js';

export interface RemoteLogSinks {
  /** Receives log records; `name` is the server's logger name (e.g. "borg.repository"). */
  log?: LogSink;
  /** Receives the server's progress records. */
  progress?: ProgressSink;
  /** Receives every other line, already prefixed with "Remote: " (no line end). */
  line?: (text: string) => void;
}

const LEVELS: Record<LogLevelName, 'debug' | 'info' | 'warning' | 'error' | 'critical'> = {
  DEBUG: 'debug', INFO: 'info', WARNING: 'warning', ERROR: 'error', CRITICAL: 'critical',
};

const PREFIX = 'Remote: ';

export function forwardRemoteRecord(record: RemoteLogRecord, sinks: RemoteLogSinks): void {
  switch (record.kind) {
    case 'log_message': {
      const options: { name: string; msgid?: string } = { name: record.name };
      if (record.msgid !== undefined) options.msgid = record.msgid;
      sinks.log?.log(LEVELS[record.level], PREFIX + record.message, options);
      return;
    }
    case '$LOG':
      sinks.log?.log(LEVELS[record.level], PREFIX + record.message, { name: record.name });
      return;
    case 'progress_percent':
    case 'progress_message': {
      if (sinks.progress === undefined) return;
      const event = {
        type: record.kind, operation: record.operation, msgid: record.msgid, finished: record.finished,
      } as ProgressEvent & { message?: string; current?: number; total?: number; info?: string[] };
      if (record.message !== null) event.message = PREFIX + record.message;
      if (record.kind === 'progress_percent') {
        if (record.current !== undefined) event.current = record.current;
        if (record.total !== undefined) event.total = record.total;
        if (Array.isArray(record.info)) event.info = record.info.map(String);
      }
      sinks.progress.emit(event);
      return;
    }
    case 'other':
      sinks.line?.(PREFIX + record.line);
  }
}
