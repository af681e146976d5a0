// Backslash escapes of Python's `re`, inside and outside character classes. Python refuses
// unknown escapes of ASCII letters, takes any other escaped character literally, and reads
// `\1`..`\99` as group references outside classes but as octal inside them.

import type { AtKind, CategoryName } from './python-re-ast.js';
import type { Tokens } from './python-re-tokens.js';

const HEX = '0123456789abcdefABCDEF';
const OCT = '01234567';
const DIGITS = '0123456789';

/** Escapes that stand for one character in both contexts (`\b` only inside classes). */
const SIMPLE: Readonly<Record<string, number>> = {
  '\\a': 0x07, '\\f': 0x0c, '\\n': 0x0a, '\\r': 0x0d, '\\t': 0x09, '\\v': 0x0b, '\\\\': 0x5c,
};

const CATEGORIES: ReadonlySet<string> = new Set(['d', 'D', 's', 'S', 'w', 'W']);

const ANCHORS: Readonly<Record<string, AtKind>> = {
  '\\A': 'bos', '\\Z': 'eos', '\\b': 'boundary', '\\B': 'nonboundary',
};

export type Escape =
  | { kind: 'char'; cp: number }
  | { kind: 'category'; name: CategoryName }
  | { kind: 'at'; at: AtKind }
  | { kind: 'backref'; group: number };

/** An escape inside a character class (`token` is the backslash and the character after it). */
export function classEscape(tokens: Tokens, token: string): Escape {
  if (token === '\\b') return { kind: 'char', cp: 0x08 };
  if (token in SIMPLE) return { kind: 'char', cp: SIMPLE[token]! };
  const c = token.slice(1);
  if (CATEGORIES.has(c)) return { kind: 'category', name: c as CategoryName };
  const numeric = numericEscape(tokens, token);
  if (numeric !== undefined) return numeric;
  if (OCT.includes(c)) {
    const escape = token + tokens.getWhile(2, OCT);
    const value = parseInt(escape.slice(1), 8);
    if (value > 0o377) throw tokens.error(`octal escape value ${escape} outside of range 0-0o377`, escape.length);
    return { kind: 'char', cp: value };
  }
  return plainEscape(tokens, token);
}

/** An escape outside character classes; `groupState` resolves `\N` group references. */
export function patternEscape(tokens: Tokens, token: string, groupState: GroupReferenceCheck): Escape {
  const c = token.slice(1);
  if (token in ANCHORS) return { kind: 'at', at: ANCHORS[token]! };
  if (CATEGORIES.has(c)) return { kind: 'category', name: c as CategoryName };
  if (token in SIMPLE) return { kind: 'char', cp: SIMPLE[token]! };
  const numeric = numericEscape(tokens, token);
  if (numeric !== undefined) return numeric;
  if (c === '0') {
    const escape = token + tokens.getWhile(2, OCT);
    return { kind: 'char', cp: parseInt(escape.slice(1), 8) };
  }
  if (DIGITS.includes(c)) {
    let escape = token;
    if (tokens.next !== null && tokens.next.length === 1 && DIGITS.includes(tokens.next)) {
      escape += tokens.get()!;
      const third = tokens.next;
      if (OCT.includes(escape[1]!) && OCT.includes(escape[2]!) && third !== null && third.length === 1 && OCT.includes(third)) {
        escape += tokens.get()!;
        const value = parseInt(escape.slice(1), 8);
        if (value > 0o377) throw tokens.error(`octal escape value ${escape} outside of range 0-0o377`, escape.length);
        return { kind: 'char', cp: value };
      }
    }
    const group = parseInt(escape.slice(1), 10);
    groupState.checkReference(group, escape.length);
    return { kind: 'backref', group };
  }
  return plainEscape(tokens, token);
}

/** How the parser validates a numeric group reference (open group, look-behind rules). */
export interface GroupReferenceCheck {
  checkReference(group: number, escapeLength: number): void;
}

/** \xhh, \uhhhh, \Uhhhhhhhh and \N{NAME}; undefined for anything else. */
function numericEscape(tokens: Tokens, token: string): Escape | undefined {
  const c = token.slice(1);
  const digits = c === 'x' ? 2 : c === 'u' ? 4 : c === 'U' ? 8 : 0;
  if (digits > 0) {
    const escape = token + tokens.getWhile(digits, HEX);
    if (escape.length !== digits + 2) throw tokens.error(`incomplete escape ${escape}`, escape.length);
    const value = parseInt(escape.slice(2), 16);
    if (value > 0x10ffff) throw tokens.error(`bad escape ${escape}`, escape.length);
    return { kind: 'char', cp: value };
  }
  if (c === 'N') {
    if (!tokens.match('{')) throw tokens.error('missing {');
    tokens.getUntil('}', 'character name');
    // Node has no Unicode name table: note it and keep parsing, so syntax errors still come first.
    tokens.unsupported.push('a named Unicode escape (\\N{...})');
    return { kind: 'char', cp: 0xfffd };
  }
  return undefined;
}

function plainEscape(tokens: Tokens, token: string): Escape {
  const c = token.slice(1);
  if (/^[A-Za-z0-9]$/.test(c)) throw tokens.error(`bad escape ${token}`, token.length);
  return { kind: 'char', cp: c.codePointAt(0)! };
}

