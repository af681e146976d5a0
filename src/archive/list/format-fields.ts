// What list's --format strings have in common for items and archives: the fixed keys (separators
// for NUL-terminated or tab-separated output) and the check that every field names a known key,
// done once before any output instead of failing in the middle of a listing.

import { InvalidPlaceholder, parseFormatString } from '../placeholders.js';

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
