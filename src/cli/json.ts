// JSON exactly as borg's Python prints it, because frontends and tests compare it as text:
// json.dumps escapes everything outside printable ASCII (ensure_ascii), writes floats with repr()
// ("2.0", "1e-05"), separates with ", " and ": " (",\n" when indented), and json_print uses
// indent=4 with sorted keys. Plus the timestamp renderings borg puts into its JSON and text.

import { PyFloat, pythonRepr } from '../archive/placeholders.js';
import { localTime, naive, strftime } from '../archive/strftime.js';

export interface PyJsonOptions {
  /** Spaces per level; undefined for one line. */
  indent?: number;
  sortKeys?: boolean;
}

/**
 * Python's json.dumps. Integral numbers print as ints; wrap a float in PyFloat to get "2.0".
 * Objects with toJSON() are replaced by its result; undefined properties are left out.
 */
export function pythonJsonDumps(value: unknown, options: PyJsonOptions = {}): string {
  return dump(value, options, 0);
}

/** borg's json_print: indent 4, sorted keys, one trailing newline. */
export function formatJson(value: unknown): string {
  return `${pythonJsonDumps(value, { indent: 4, sortKeys: true })}\n`;
}

function dump(value: unknown, options: PyJsonOptions, level: number): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof PyFloat) return pyFloat(value.value);
  if (typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return dump((value as { toJSON(): unknown }).toJSON(), options, level);
  }
  switch (typeof value) {
    case 'boolean': return value ? 'true' : 'false';
    case 'bigint': return value.toString();
    case 'number': return Number.isInteger(value) ? String(value) : pyFloat(value);
    case 'string': return quote(value);
    case 'object': break;
    default: throw new TypeError(`Object of type ${typeof value} is not JSON serializable`);
  }
  const { indent } = options;
  const inner = indent === undefined ? '' : `\n${' '.repeat(indent * (level + 1))}`;
  const outer = indent === undefined ? '' : `\n${' '.repeat(indent * level)}`;
  const separator = indent === undefined ? ', ' : ',';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[${value.map((item) => inner + dump(item, options, level + 1)).join(separator)}${outer}]`;
  }
  let entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  if (options.sortKeys) entries = entries.sort(([a], [b]) => compareCodePoints(a, b));
  return `{${entries.map(([k, v]) => `${inner}${quote(k)}: ${dump(v, options, level + 1)}`).join(separator)}${outer}}`;
}

function pyFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  return (value < 0 || Object.is(value, -0) ? '-' : '') + pythonRepr(Math.abs(value));
}

const SHORT_ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

/** ensure_ascii: everything outside " ".."~" as a \u escape of four hex digits (UTF-16 units, so lone surrogates survive). */
function quote(text: string): string {
  // eslint-disable-next-line no-control-regex
  return `"${text.replace(/["\\]|[^ -~]/g, (c) => SHORT_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
}

/** Python sorts str keys by code point; JS's default sort compares UTF-16 units. */
function compareCodePoints(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

// Timestamps. Archive and manifest times are UTC; borg shows them in local time after dropping the
// microseconds (its to_localtime). Item times are nanoseconds; borg goes through a float number of
// seconds and Python's fromtimestamp, which rounds to microseconds half to even.

/** A UTC moment (archive start/end, last_modified) as borg's JSON shows it: local, ".000000". */
export function isoLocalFromUtc(date: Date): string {
  return strftime('%Y-%m-%dT%H:%M:%S.%f', naive(localTime(date, 0)));
}

/** A UTC moment as borg's text output shows it, e.g. "Sat, 2026-11-21 10:00:00". */
export function textLocalFromUtc(date: Date): string {
  return strftime('%a, %Y-%m-%d %H:%M:%S', naive(localTime(date, 0)));
}

/** An item time in nanoseconds as borg's isomtime/JSON shows it: local with microseconds. */
export function isoLocalFromNs(ns: bigint): string {
  const [date, micros] = splitNs(ns);
  return strftime('%Y-%m-%dT%H:%M:%S.%f', naive(localTime(date, micros)));
}

/** An item time in nanoseconds as borg's mtime column shows it, e.g. "Sat, 2026-11-21 10:00:00". */
export function textLocalFromNs(ns: bigint): string {
  const [date, micros] = splitNs(ns);
  return strftime('%a, %Y-%m-%d %H:%M:%S', naive(localTime(date, micros)));
}

function splitNs(ns: bigint): [Date, number] {
  // s + r/1e9 rounds once more than Python's ns/1e9, but far below the float's resolution.
  const seconds = Number(ns / 1_000_000_000n) + Number(ns % 1_000_000_000n) / 1e9;
  const whole = Math.floor(seconds);
  let micros = roundHalfEven((seconds - whole) * 1e6);
  let wholeSeconds = whole;
  if (micros >= 1_000_000) {
    wholeSeconds += 1;
    micros -= 1_000_000;
  }
  return [new Date(wholeSeconds * 1000), micros];
}

function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}
