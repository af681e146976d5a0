// The server's stderr as the client sees it (spec §6.6): `$LOG LEVEL name Remote: msg` lines before a
// dict-format negotiation, JSON log/progress lines after it, anything else verbatim. Lines may arrive
// split across reads; they end at "\n" or "\r" (empty lines, e.g. between "\r\n", are skipped).

export type LogLevelName = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL';
const LEVELS: ReadonlySet<string> = new Set(['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL']);

/** A `$LOG <LEVEL> <logger> <text>` line; `message` is the text without its "Remote: " prefix. */
export interface LegacyLogRecord {
  kind: '$LOG';
  level: LogLevelName;
  name: string;
  message: string;
}

export interface JsonLogRecord {
  kind: 'log_message';
  time: number;
  message: string;
  level: LogLevelName;
  name: string;
  msgid?: string;
}

export interface ProgressRecord {
  kind: 'progress_percent' | 'progress_message';
  operation: number;
  msgid: string | null;
  finished: boolean;
  message: string | null;
  time: number;
  /** progress_percent only. */
  current?: number;
  total?: number;
  info?: unknown;
}

/** Any other line (printed by borg's client as "Remote: <line>"). */
export interface OtherLine {
  kind: 'other';
  line: string;
}

export type RemoteLogRecord = LegacyLogRecord | JsonLogRecord | ProgressRecord | OtherLine;

const LEGACY_RE = /^\$LOG (\S+) (\S+) (.*)$/s;

function asLevel(x: unknown): LogLevelName | undefined {
  return typeof x === 'string' && LEVELS.has(x) ? (x as LogLevelName) : undefined;
}

function parseJsonLine(line: string): RemoteLogRecord | undefined {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return undefined;
  const r = o as Record<string, unknown>;
  const time = typeof r['time'] === 'number' ? r['time'] : undefined;
  if (r['type'] === 'log_message') {
    const level = asLevel(r['levelname']);
    if (level === undefined || typeof r['message'] !== 'string' || typeof r['name'] !== 'string' || time === undefined) return undefined;
    const rec: JsonLogRecord = { kind: 'log_message', time, message: r['message'], level, name: r['name'] };
    if (typeof r['msgid'] === 'string') rec.msgid = r['msgid'];
    return rec;
  }
  if (r['type'] === 'progress_percent' || r['type'] === 'progress_message') {
    const msgid = r['msgid'];
    const message = r['message'];
    if (typeof r['operation'] !== 'number' || typeof r['finished'] !== 'boolean' || time === undefined) return undefined;
    if ((msgid !== null && typeof msgid !== 'string') || (message !== undefined && message !== null && typeof message !== 'string')) return undefined;
    const rec: ProgressRecord = { kind: r['type'], operation: r['operation'], msgid, finished: r['finished'], message: message ?? null, time };
    if (r['type'] === 'progress_percent') {
      if (typeof r['current'] === 'number') rec.current = r['current'];
      if (typeof r['total'] === 'number') rec.total = r['total'];
      if ('info' in r) rec.info = r['info'];
    }
    return rec;
  }
  return undefined;
}

/** Classifies one complete stderr line (without its terminator). */
export function parseRemoteLogLine(line: string): RemoteLogRecord {
  if (line.startsWith('{')) {
    const rec = parseJsonLine(line);
    if (rec !== undefined) return rec;
  } else if (line.startsWith('$LOG ')) {
    const m = LEGACY_RE.exec(line);
    const level = m ? asLevel(m[1]) : undefined;
    if (m && level !== undefined) {
      const text = m[3]!;
      return { kind: '$LOG', level, name: m[2]!, message: text.startsWith('Remote: ') ? text.slice(8) : text };
    }
  }
  return { kind: 'other', line };
}

/** Collects stderr bytes into complete lines (UTF-8 decoded per line, so split characters survive). */
export class RemoteLogLineBuffer {
  private partial: Buffer[] = [];

  /** Records of every line completed by `data`. */
  push(data: Uint8Array): RemoteLogRecord[] {
    const out: RemoteLogRecord[] = [];
    const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    let start = 0;
    for (let i = 0; i < buf.length; i++) {
      const b = buf[i]!;
      if (b !== 0x0a && b !== 0x0d) continue;
      this.partial.push(buf.subarray(start, i));
      this.emit(out);
      start = i + 1;
    }
    if (start < buf.length) this.partial.push(Buffer.from(buf.subarray(start)));
    return out;
  }

  /** At end of stream: the record of an unterminated last line, if any. */
  flush(): RemoteLogRecord[] {
    const out: RemoteLogRecord[] = [];
    this.emit(out);
    return out;
  }

  private emit(out: RemoteLogRecord[]): void {
    const line = Buffer.concat(this.partial).toString('utf8');
    this.partial = [];
    if (line !== '') out.push(parseRemoteLogLine(line));
  }
}
