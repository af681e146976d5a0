// Placeholders ({hostname}, {now:%Y-%m-%d}, ...) in locations, archive names, --glob-archives,
// --comment and --remote-path, and `formatLine`, the Python str.format subset that borg also uses
// for `list --format`. Syntax and errors follow borg's format_line: every field must name a known
// key, conversions (!r) are refused, and a format spec is applied like Python's format().
//
// Longer than most files because it holds two parts: the placeholders, and from parseFormatString
// on, Python's format-string and format-spec rules (a candidate for its own python-format.ts).

import { randomUUID } from 'node:crypto';
import os from 'node:os';

import { BorgError, UsageError } from '../errors.js';
import { localTime, strftime, utcTime, type BrokenDownTime } from './strftime.js';
import { BORG_VERSION } from '../version.js';
import { hostNames } from '../platform/host-names.js';

/** A value that renders itself for a format spec, like a Python object with __format__. */
export interface Formattable {
  formatSpec(spec: string): string;
}

/** Integral numbers format as Python ints, others as floats; wrap a float in PyFloat to keep "1.0". */
export type FormatValue = string | number | bigint | boolean | null | Formattable;

export class PyFloat implements Formattable {
  constructor(readonly value: number) {}
  formatSpec(spec: string): string {
    return formatFloat(this.value, parseSpec(spec, 'float'));
  }
}

/** A datetime whose empty spec means borg's ISO format without microseconds. */
export class DatetimeValue implements Formattable {
  constructor(readonly time: BrokenDownTime) {}
  formatSpec(spec: string): string {
    return strftime(spec === '' ? '%Y-%m-%dT%H:%M:%S' : spec, this.time);
  }
}

/** A format string could be parsed but not rendered (bad spec for the value, positional field). */
export class PlaceholderError extends BorgError {
  constructor(format: string, reason: string) {
    super(`Failed to format "${format}": ${reason}`, { args: [format, reason] });
  }
}

/** A field names no known key, or uses a conversion such as !r. */
export class InvalidPlaceholder extends BorgError {
  constructor(key: string, format: string) {
    super(`Invalid placeholder "${key}" in: ${format}`, { args: [key, format] });
  }
}

export interface PlaceholderOptions {
  /** The moment for {now} and {utcnow}; `create --timestamp` passes its own. Default: the current time. */
  now?: Date;
  /** Extra or replaced keys, like borg's `overrides`. */
  overrides?: Record<string, FormatValue>;
}

export function replacePlaceholders(text: string, options: PlaceholderOptions = {}): string {
  return formatLine(text, placeholderData(options));
}

/** The keys of replacePlaceholders; host and user lookups happen only when a field asks for them. */
export function placeholderData(options: PlaceholderOptions = {}): Record<string, FormatValue> {
  // The current time to the microsecond, like Python's datetime.now() ({now:%f}); a given time has ms.
  const micros = options.now === undefined ? Math.floor((performance.timeOrigin + performance.now()) * 1000) : null;
  const now = options.now ?? new Date(Math.floor(micros! / 1000));
  const microsecond = micros === null ? now.getMilliseconds() * 1000 : micros % 1_000_000;
  const [major, minor] = BORG_VERSION.split('.');
  const data: Record<string, FormatValue> = {
    pid: process.pid,
    now: new DatetimeValue(localTime(now, microsecond)),
    utcnow: new DatetimeValue(utcTime(now, microsecond)),
    borgversion: BORG_VERSION,
    borgmajor: major!,
    borgminor: `${major}.${minor}`,
    borgpatch: BORG_VERSION,
  };
  const lazy: Record<string, () => FormatValue> = {
    hostname: () => hostNames().hostname,
    fqdn: () => hostNames().fqdn,
    'reverse-fqdn': () => hostNames().fqdn.split('.').reverse().join('.'),
    user: osUserName,
    uuid4: randomUUID,
  };
  for (const [key, get] of Object.entries(lazy)) Object.defineProperty(data, key, { get, enumerable: true, configurable: true });
  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    Object.defineProperty(data, key, { value, enumerable: true, configurable: true, writable: true });
  }
  return data;
}

/** borg's format_line: check every field against `data`, then render. */
export function formatLine(format: string, data: Record<string, FormatValue>): string {
  const segments = parseFormatString(format);
  for (const { field } of segments) {
    if (field === undefined || field.name === '') continue;
    if (field.conversion !== null || !Object.hasOwn(data, field.name)) throw new InvalidPlaceholder(field.name, format);
  }
  let out = '';
  for (const { literal, field } of segments) {
    out += literal;
    if (field === undefined) continue;
    if (field.name === '') throw new PlaceholderError(format, 'positional fields ({}) are not supported');
    try {
      out += formatValue(data[field.name]!, expandNestedFields(field.spec, data, format));
    } catch (error) {
      if (error instanceof SpecError) throw new PlaceholderError(format, error.message);
      throw error;
    }
  }
  return out;
}

interface Field {
  name: string;
  conversion: string | null;
  spec: string;
}

/** Splits a format string like Python's string.Formatter().parse; bad syntax is a usage error. */
export function parseFormatString(format: string): Array<{ literal: string; field?: Field }> {
  const syntaxError = (reason: string) => new UsageError(`Invalid format string "${format}": ${reason}`);
  const segments: Array<{ literal: string; field?: Field }> = [];
  let literal = '';
  let i = 0;
  while (i < format.length) {
    const c = format[i]!;
    if ((c === '{' || c === '}') && format[i + 1] === c) {
      literal += c;
      i += 2;
    } else if (c === '}') {
      throw syntaxError("single '}' (write '}}' for a literal brace)");
    } else if (c === '{') {
      const end = findFieldEnd(format, i + 1, syntaxError);
      segments.push({ literal, field: splitField(format.slice(i + 1, end), syntaxError) });
      literal = '';
      i = end + 1;
    } else {
      literal += c;
      i += 1;
    }
  }
  if (literal !== '' || segments.length === 0) segments.push({ literal });
  return segments;
}

function findFieldEnd(format: string, start: number, syntaxError: (reason: string) => Error): number {
  let depth = 1;
  let inBrackets = false;
  let inSpec = false;
  for (let j = start; j < format.length; j++) {
    const c = format[j];
    if (inBrackets) {
      if (c === ']') inBrackets = false;
    } else if (c === '[' && !inSpec) {
      inBrackets = true;
    } else if ((c === ':' || c === '!') && !inSpec) {
      inSpec = true;
    } else if (c === '{') {
      if (!inSpec) throw syntaxError("unexpected '{' in a field name");
      depth += 1;
    } else if (c === '}') {
      depth -= 1;
      if (depth === 0) return j;
    }
  }
  throw syntaxError("missing '}' at the end");
}

function splitField(body: string, syntaxError: (reason: string) => Error): Field {
  const nameEnd = body.search(/[!:]/);
  if (nameEnd < 0) return { name: body, conversion: null, spec: '' };
  const name = body.slice(0, nameEnd);
  if (body[nameEnd] === ':') return { name, conversion: null, spec: body.slice(nameEnd + 1) };
  const conversion = body[nameEnd + 1];
  if (conversion === undefined) throw syntaxError('missing conversion after "!"');
  const rest = body.slice(nameEnd + 2);
  if (rest !== '' && rest[0] !== ':') throw syntaxError(`expected ':' after the conversion "!${conversion}"`);
  return { name, conversion, spec: rest.slice(1) };
}

/** Python allows one level of fields inside a spec, e.g. {now:{fmt}}. */
function expandNestedFields(spec: string, data: Record<string, FormatValue>, format: string): string {
  if (!spec.includes('{')) return spec;
  return parseFormatString(spec).map(({ literal, field }) => {
    if (field === undefined) return literal;
    if (field.conversion !== null || field.spec.includes('{') || !Object.hasOwn(data, field.name)) {
      throw new PlaceholderError(format, `unsupported nested field "{${field.name}}" in a format spec`);
    }
    return literal + formatValue(data[field.name]!, field.spec);
  }).join('');
}

/** A format spec that does not fit the value (Python's ValueError/TypeError from format()). */
class SpecError extends Error {}

interface Spec {
  fill: string;
  align: string;
  sign: string;
  alternate: boolean;
  width: number;
  grouping: string;
  precision: number | null;
  type: string;
}

/** Python's format(value, spec) for the value kinds borg formats. */
export function formatValue(value: FormatValue, spec: string): string {
  if (typeof value === 'object' && value !== null) return value.formatSpec(spec);
  if (spec === '') return value === null ? 'None' : typeof value === 'boolean' ? (value ? 'True' : 'False') : pyString(value);
  if (value === null) throw new SpecError('unsupported format string passed to NoneType.__format__');
  if (typeof value === 'string') return formatString(value, parseSpec(spec, 'str'));
  if (typeof value === 'boolean') return formatInteger(value ? 1n : 0n, parseSpec(spec, 'int'));
  if (typeof value === 'bigint' || Number.isInteger(value)) {
    const parsed = parseSpec(spec, 'int');
    return 'eEfFgG%'.includes(parsed.type) && parsed.type !== '' ? formatFloat(Number(value), parsed) : formatInteger(BigInt(value), parsed);
  }
  return formatFloat(value, parseSpec(spec, 'float'));
}

function pyString(value: string | number | bigint): string {
  return typeof value === 'number' && !Number.isInteger(value) ? formatFloat(value, parseSpec('', 'float')) : String(value);
}

/** Parsed specs by kind and text: a listing formats the same few fields for every item. */
const parsedSpecs = new Map<string, Spec>();

function parseSpec(spec: string, kind: string): Spec {
  const key = `${kind}:${spec}`;
  let parsed = parsedSpecs.get(key);
  if (parsed === undefined) {
    parsed = parseSpecText(spec, kind);
    if (parsedSpecs.size < 256) parsedSpecs.set(key, parsed);
  }
  return parsed;
}

function parseSpecText(spec: string, kind: string): Spec {
  const m = /^(?:(.)?([<>=^]))?([-+ ])?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([a-zA-Z%])?$/su.exec(spec);
  if (m === null) throw new SpecError(`Invalid format specifier '${spec}' for object of type '${kind}'`);
  const [, fill, align, sign, alternate, zero, width, grouping, precision, type] = m;
  return {
    fill: fill ?? (zero ? '0' : ' '),
    align: align ?? (zero && kind !== 'str' ? '=' : ''),
    sign: sign ?? '',
    alternate: alternate !== undefined,
    width: width ? Number(width) : 0,
    grouping: grouping ?? '',
    precision: precision !== undefined ? Number(precision) : null,
    type: type ?? '',
  };
}

function formatString(value: string, spec: Spec): string {
  if (spec.type !== '' && spec.type !== 's') throw new SpecError(`Unknown format code '${spec.type}' for object of type 'str'`);
  if (spec.sign) throw new SpecError('Sign not allowed in string format specifier');
  if (spec.alternate) throw new SpecError('Alternate form (#) not allowed in string format specifier');
  if (spec.align === '=') throw new SpecError("'=' alignment not allowed in string format specifier");
  if (spec.grouping) throw new SpecError(`Cannot specify '${spec.grouping}' with 's'.`);
  const chars = Array.from(value);
  return align(spec.precision === null ? value : chars.slice(0, spec.precision).join(''), spec, '<', '');
}

function formatInteger(value: bigint, spec: Spec): string {
  const type = spec.type === '' ? 'd' : spec.type;
  const radix = { d: 10, n: 10, b: 2, o: 8, x: 16, X: 16, c: 0 }[type];
  if (radix === undefined) throw new SpecError(`Unknown format code '${type}' for object of type 'int'`);
  if (spec.precision !== null) throw new SpecError('Precision not allowed in integer format specifier');
  if (spec.grouping === ',' && radix !== 10) throw new SpecError(`Cannot specify ',' with '${type}'.`);
  if (type === 'c') return align(String.fromCodePoint(Number(value)), spec, '>', '');
  let digits = (value < 0n ? -value : value).toString(radix);
  if (type === 'X') digits = digits.toUpperCase();
  if (spec.grouping) digits = group(digits, spec.grouping, radix === 10 ? 3 : 4);
  const prefix = spec.alternate && radix !== 10 ? `0${type === 'X' ? 'X' : type}` : '';
  return align(digits, spec, '>', signOf(value < 0n, spec) + prefix);
}

function formatFloat(value: number, spec: Spec): string {
  if (!'eEfFgGn%'.includes(spec.type)) throw new SpecError(`Unknown format code '${spec.type}' for object of type 'float'`);
  const negative = value < 0 || Object.is(value, -0);
  const abs = Math.abs(value);
  let body: string;
  if (!Number.isFinite(abs)) {
    body = Number.isNaN(abs) ? 'nan' : 'inf';
    if (spec.type !== '' && 'EFG'.includes(spec.type)) body = body.toUpperCase();
  } else if (spec.type === '' && spec.precision === null) {
    body = pythonRepr(abs);
  } else {
    const precision = spec.precision ?? 6;
    switch (spec.type) {
      case 'e': case 'E': body = exponential(abs, precision, spec.type, spec.alternate); break;
      case 'f': case 'F': body = fixedPoint(abs, precision, spec.alternate); break;
      case '%': body = `${fixedPoint(abs * 100, precision, spec.alternate)}%`; break;
      default: body = general(abs, precision, spec.type === 'G' ? 'E' : 'e', spec.alternate, spec.type === '');
    }
  }
  if (spec.grouping) {
    const [int, rest] = splitNumber(body);
    body = group(int, spec.grouping, 3) + rest;
  }
  return align(body, spec, '>', signOf(negative, spec));
}

// Python rounds the exact binary value half to even; JS's toFixed/toExponential round ties up
// (1.125 -> "1.13", Python "1.12"), so the digits come from the exact decimal expansion instead.

/** round(x * 10^fraction), half to even, for a finite x >= 0. */
function roundScaled(x: number, fraction: number): bigint {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const mantissa = (bits & 0xfffffffffffffn) | (biased === 0 ? 0n : 1n << 52n);
  const exp2 = (biased === 0 ? 1 : biased) - 1075; // x = mantissa * 2^exp2
  // x = digits / 10^scale exactly (2^-n = 5^n / 10^n)
  const digits = exp2 >= 0 ? mantissa << BigInt(exp2) : mantissa * 5n ** BigInt(-exp2);
  const scale = Math.max(0, -exp2);
  if (fraction >= scale) return digits * 10n ** BigInt(fraction - scale);
  const divisor = 10n ** BigInt(scale - fraction);
  const quotient = digits / divisor;
  const twice = (digits % divisor) * 2n;
  return twice > divisor || (twice === divisor && quotient % 2n === 1n) ? quotient + 1n : quotient;
}

function fixedPoint(x: number, fraction: number, alternate = false): string {
  const text = roundScaled(x, fraction).toString().padStart(fraction + 1, '0');
  if (fraction === 0) return alternate ? `${text}.` : text;
  return `${text.slice(0, -fraction)}.${text.slice(-fraction)}`;
}

/** [digits with one before the point, decimal exponent] rounded to `precision` digits after the point. */
function scientific(x: number, precision: number): [string, number] {
  if (x === 0) return ['0'.repeat(precision + 1), 0];
  let exp = Math.floor(Math.log10(x));
  for (;;) {
    const digits = roundScaled(x, precision - exp).toString();
    if (digits.length > precision + 1) exp += 1; // log10 guessed low, or rounding carried into a new digit
    else if (digits.length < precision + 1) exp -= 1;
    else return [digits, exp];
  }
}

function exponential(x: number, precision: number, letter: string, alternate = false): string {
  const [digits, exp] = scientific(x, precision);
  const mantissa = precision > 0 || alternate ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${mantissa}${letter}${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

/** Python's 'g', and the float format without a type but with a precision (noType). */
function general(x: number, precision: number, letter: string, alternate: boolean, noType: boolean): string {
  const p = precision === 0 ? 1 : precision;
  const exp = scientific(x, p - 1)[1];
  // Without a type Python keeps one digit after the point, so it leaves fixed notation one digit earlier.
  const fixed = exp >= -4 && exp < (noType ? p - 1 : p);
  let text = fixed ? fixedPoint(x, p - 1 - exp) : exponential(x, p - 1, letter);
  if (!alternate) {
    const [mantissa, exponent = ''] = text.split(/(?=[eE])/);
    text = (mantissa!.includes('.') ? mantissa!.replace(/0+$/, '').replace(/\.$/, '') : mantissa!) + exponent;
  }
  if (noType && fixed && !text.includes('.')) text += '.0';
  return text;
}

/** repr(float): the shortest round-trip digits, in exponent form outside 1e-4 <= x < 1e16. */
export function pythonRepr(value: number): string {
  if (value === 0) return '0.0';
  const [mantissa, exp] = value.toExponential().split('e');
  const e = Number(exp);
  if (e < -4 || e >= 16) return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  const digits = mantissa!.replace('.', '');
  if (e < 0) return `0.${'0'.repeat(-e - 1)}${digits}`;
  return `${digits.slice(0, e + 1).padEnd(e + 1, '0')}.${digits.slice(e + 1) || '0'}`;
}

function splitNumber(body: string): [string, string] {
  const end = body.search(/[^0-9]/);
  return end < 0 ? [body, ''] : [body.slice(0, end), body.slice(end)];
}

function group(digits: string, separator: string, size: number): string {
  let out = '';
  for (let i = digits.length; i > 0; i -= size) out = digits.slice(Math.max(0, i - size), i) + (out ? separator + out : '');
  return out;
}

function signOf(negative: boolean, spec: Spec): string {
  return negative ? '-' : spec.sign === '+' ? '+' : spec.sign === ' ' ? ' ' : '';
}

/** Code points in `text` (what Python's len() counts). */
function codePoints(text: string): number {
  return /[\uD800-\uDFFF]/.test(text) ? Array.from(text).length : text.length;
}

function align(body: string, spec: Spec, defaultAlign: string, sign: string): string {
  if (spec.width === 0) return sign + body;
  const length = codePoints(sign + body);
  const padding = Math.max(0, spec.width - length);
  switch (spec.align || defaultAlign) {
    case '<': return sign + body + spec.fill.repeat(padding);
    case '^': return spec.fill.repeat(Math.floor(padding / 2)) + sign + body + spec.fill.repeat(Math.ceil(padding / 2));
    case '=': return sign + spec.fill.repeat(padding) + body;
    default: return spec.fill.repeat(padding) + sign + body;
  }
}

/** The account name of the running user, or the uid when it has no passwd entry (like borg). */
function osUserName(): string | number {
  try {
    return os.userInfo().username;
  } catch {
    return process.getuid?.() ?? 0;
  }
}
