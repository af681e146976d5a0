// What list's --format strings have in common for items and archives: the fixed keys (separators
// for NUL-terminated or tab-separated output), the check that every field names a known key (done
// once, before any output, instead of failing in the middle of a listing), and rendering with the
// format parsed once — a listing formats millions of lines.

import { BorgError } from '../../errors.js';
import { formatLine, formatValue, InvalidPlaceholder, parseFormatString, PlaceholderError, type FormatValue } from '../placeholders.js';

export const FIXED_KEYS: Readonly<Record<string, string>> = {
  LF: '\n', SPACE: ' ', TAB: '\t', CR: '\r', NUL: '\0', NEWLINE: '\n', NL: '\n',
};

/** The field names used in `format` (a syntax error is a UsageError). */
export function formatFieldNames(format: string): Set<string> {
  const names = new Set<string>();
  for (const { field } of parseFormatString(format)) if (field !== undefined) names.add(field.name);
  return names;
}

/** Throws InvalidPlaceholder for the first field of `format` that is not in `known`. */
export function checkFormatFields(format: string, known: ReadonlySet<string>): void {
  for (const name of formatFieldNames(format)) {
    if (!known.has(name)) throw new InvalidPlaceholder(name, format);
  }
}

export type FormatData = Record<string, FormatValue>;

/** A renderer for `format` (like formatLine, which handles the rare nested or converted fields). */
export function compileFormat(format: string): (data: FormatData) => string {
  const segments = parseFormatString(format);
  if (segments.some(({ field }) => field !== undefined && (field.conversion !== null || field.spec.includes('{') || field.name === ''))) {
    return (data) => formatLine(format, data);
  }
  return (data) => {
    let out = '';
    for (const { literal, field } of segments) {
      out += literal;
      if (field === undefined) continue;
      if (!Object.hasOwn(data, field.name)) throw new InvalidPlaceholder(field.name, format);
      try {
        out += formatValue(data[field.name]!, field.spec);
      } catch (error) {
        // A spec that does not fit the value, e.g. {mode:d}: Python raises ValueError/TypeError.
        if (error instanceof BorgError || !(error instanceof Error)) throw error;
        throw new PlaceholderError(format, error.message);
      }
    }
    return out;
  };
}
