// Turns a parsed Python `re` pattern into an equivalent JavaScript RegExp (always with the `v`
// flag: Unicode code points and nested classes). Every construct is rewritten from its Python
// meaning rather than copied, because the two dialects disagree on many spellings: `.` and `$`
// around "\n", Unicode `\d`/`\w`/`\s`/`\b`, group numbering, and case folding of I/i/İ/ı.
// What cannot be reproduced exactly is refused with UnsupportedFeature.

import { MAXREPEAT, type AtKind, type CategoryName, type NodeFlags, type ReNode, type SetItem } from './python-re-ast.js';
import { checkBackreferences } from './python-re-backrefs.js';
import { UnsupportedFeature } from './python-re-tokens.js';

export interface EmittedRegex {
  source: string;
  flags: string;
}

/** Python's isspace() characters, which its Unicode `\s` matches. */
const UNICODE_SPACE = '\\t-\\r\\u{1c}-\\u{20}\\u{85}\\u{a0}\\u{1680}\\u{2000}-\\u{200a}\\u{2028}\\u{2029}\\u{202f}\\u{205f}\\u{3000}';
const UNICODE_WORD = '\\p{L}\\p{N}_';
const ASCII_WORD = 'A-Za-z0-9_';
const ANY_CHAR = '[\\u{0}-\\u{10ffff}]';

/** Python's case-insensitive matching makes these four equivalent; JavaScript folds only I/i. */
const DOTTED_I = [0x49, 0x69, 0x130, 0x131];

/** `ascii`: whether the pattern-wide flags select ASCII classes. */
export function emitJavaScript(root: ReNode, ascii: boolean): EmittedRegex {
  checkBackreferences(root);
  const ignoreCase = usesUnicodeIgnoreCase(root);
  const emitter = new Emitter(ignoreCase, ascii);
  return { source: emitter.emit(root), flags: ignoreCase ? 'iv' : 'v' };
}

class Emitter {
  /** JavaScript group number of each Python group (they differ once atomic groups are emulated). */
  readonly #groupMap = new Map<number, number>();
  #jsGroups = 0;

  constructor(readonly ignoreCase: boolean, readonly ascii: boolean) {}

  emit(node: ReNode): string {
    switch (node.kind) {
      case 'seq': return node.items.map((item) => this.emit(item)).join('');
      case 'alt': return `(?:${node.branches.map((branch) => this.emit(branch)).join('|')})`;
      case 'char': return this.#char(node.cp, node.flags);
      case 'set': return this.#set(node.negate, node.items, node.flags);
      case 'any': return node.flags.dotAll ? ANY_CHAR : '[^\\n]';
      case 'at': return this.#at(node.at, node.flags);
      case 'group': {
        if (node.index === null) return `(?:${this.emit(node.body)})`;
        this.#groupMap.set(node.index, ++this.#jsGroups);
        return `(${this.emit(node.body)})`;
      }
      case 'look': return `(?${node.behind ? '<' : ''}${node.negate ? '!' : '='}${this.emit(node.body)})`;
      case 'atomic': return this.#atomic(() => this.emit(node.body));
      case 'repeat': return this.#repeat(node);
      case 'backref': {
        this.#checkCase(node.flags, true, 'a case-insensitive backreference');
        if (node.flags.ignoreCase && node.flags.ascii && !this.ignoreCase) {
          throw new UnsupportedFeature('a case-insensitive backreference with the ASCII flag');
        }
        return `(?:\\${this.#groupMap.get(node.group)!})`;
      }
      case 'cond': throw new UnsupportedFeature('a conditional group (?(id)yes|no)');
    }
  }

  /** JavaScript has no atomic groups; a captured lookahead plus a backreference behaves the same. */
  #atomic(body: () => string): string {
    const group = ++this.#jsGroups;
    return `(?=(${body()}))(?:\\${group})`;
  }

  #repeat(node: Extract<ReNode, { kind: 'repeat' }>): string {
    const { min, max } = node;
    const bound = max === MAXREPEAT ? (min === 0 ? '*' : min === 1 ? '+' : `{${min},}`)
      : min === 0 && max === 1 ? '?' : min === max ? `{${min}}` : `{${min},${max}}`;
    if (node.mode === 'possessive') return this.#atomic(() => `${this.#atom(node.body)}${bound}`);
    return `${this.#atom(node.body)}${bound}${node.mode === 'lazy' ? '?' : ''}`;
  }

  /** The node as one quantifiable unit. */
  #atom(node: ReNode): string {
    const text = this.emit(node);
    const single = node.kind === 'char' || node.kind === 'set' || node.kind === 'any' || node.kind === 'backref'
      || (node.kind === 'group' && node.index !== null);
    return single || (node.kind === 'group' && node.index === null) ? text : `(?:${text})`;
  }

  #char(cp: number, flags: NodeFlags): string {
    this.#checkCase(flags, isCased(cp), 'a case-insensitive character');
    if (!flags.ignoreCase) return literal(cp);
    if (!flags.ascii) return DOTTED_I.includes(cp) ? `[${DOTTED_I.map(literal).join('')}]` : literal(cp);
    const other = asciiSwapCase(cp);
    return other === cp ? literal(cp) : `[${literal(cp)}${literal(other)}]`;
  }

  #set(negate: boolean, items: SetItem[], flags: NodeFlags): string {
    this.#checkCase(flags, items.some(itemIsCased), 'a case-insensitive character class');
    const parts = items.map((item) => this.#setItem(item, flags));
    if (flags.ignoreCase && !flags.ascii && items.some((item) => DOTTED_I.some((cp) => itemContains(item, cp)))) {
      parts.push(...DOTTED_I.map(literal));
    }
    if (flags.ignoreCase && flags.ascii) parts.push(...items.flatMap(asciiCounterparts));
    return `[${negate ? '^' : ''}${parts.join('')}]`;
  }

  #setItem(item: SetItem, flags: NodeFlags): string {
    switch (item.kind) {
      case 'char': return literal(item.cp);
      case 'range': return `${literal(item.lo)}-${literal(item.hi)}`;
      case 'category': return this.#category(item.name, flags);
    }
  }

  #category(name: CategoryName, flags: NodeFlags): string {
    const lower = name.toLowerCase();
    const negate = name !== lower ? '^' : '';
    if (lower === 'w' && flags.ascii) this.#checkAsciiWord();
    // CPython's search() first skips to a character of the pattern's leading class compiled with
    // the pattern-wide flags, so a scoped (?a:\w) or (?u:\W) does not mean what it says there.
    if (flags.ascii !== this.ascii) throw new UnsupportedFeature('a \\d, \\s or \\w class inside (?a:...) or (?u:...)');
    const body = lower === 'd' ? (flags.ascii ? '0-9' : '\\p{Nd}')
      : lower === 'w' ? (flags.ascii ? ASCII_WORD : UNICODE_WORD)
        : (flags.ascii ? '\\t-\\r\\u{20}' : UNICODE_SPACE);
    return `[${negate}${body}]`;
  }

  #at(at: AtKind, flags: NodeFlags): string {
    switch (at) {
      case 'bos': return '^';
      case 'eos': return '$';
      case 'bol': return flags.multiline ? '(?<![^\\n])' : '^';
      // Python's `$` also matches just before a final newline.
      case 'eol': return flags.multiline ? '(?![^\\n])' : '(?=\\n?$)';
      case 'boundary': case 'nonboundary': {
        if (flags.ascii) this.#checkAsciiWord();
        const word = `[${flags.ascii ? ASCII_WORD : UNICODE_WORD}]`;
        // Python's \B never matches in an empty string.
        return at === 'boundary' ? `(?:(?<=${word})(?!${word})|(?<!${word})(?=${word}))`
          : `(?!^$)(?:(?<=${word})(?=${word})|(?<!${word})(?!${word}))`;
      }
    }
  }

  /** Under JavaScript's `i` flag, [A-Za-z] would also match the Kelvin sign and the long s. */
  #checkAsciiWord(): void {
    if (this.ignoreCase) throw new UnsupportedFeature('an ASCII word class combined with Unicode case-insensitive matching');
  }

  /** JavaScript's `i` flag covers the whole pattern; refuse parts that must not (or differently) fold case. */
  #checkCase(flags: NodeFlags, cased: boolean, what: string): void {
    if (!this.ignoreCase || !cased) return;
    if (!flags.ignoreCase) throw new UnsupportedFeature('case-insensitive matching for only part of the pattern');
    if (flags.ascii) throw new UnsupportedFeature(`${what} with the ASCII flag next to Unicode case-insensitive parts`);
  }
}

/** JavaScript needs the `i` flag if some case-insensitive Unicode part can match a cased character. */
function usesUnicodeIgnoreCase(node: ReNode): boolean {
  switch (node.kind) {
    case 'seq': return node.items.some(usesUnicodeIgnoreCase);
    case 'alt': return node.branches.some(usesUnicodeIgnoreCase);
    case 'group': case 'look': case 'atomic': case 'repeat': return usesUnicodeIgnoreCase(node.body);
    case 'cond': return usesUnicodeIgnoreCase(node.yes) || (node.no !== null && usesUnicodeIgnoreCase(node.no));
    case 'char': return unicodeIgnoreCase(node.flags) && isCased(node.cp);
    case 'set': return unicodeIgnoreCase(node.flags) && node.items.some(itemIsCased);
    case 'backref': return unicodeIgnoreCase(node.flags);
    case 'any': case 'at': return false;
  }
}

function unicodeIgnoreCase(flags: NodeFlags): boolean {
  return flags.ignoreCase && !flags.ascii;
}

function isCased(cp: number): boolean {
  const text = String.fromCodePoint(cp);
  return text.toLowerCase() !== text || text.toUpperCase() !== text;
}

function itemIsCased(item: SetItem): boolean {
  if (item.kind === 'char') return isCased(item.cp);
  if (item.kind === 'category') return false;
  if (item.hi - item.lo > 4096) return true;
  for (let cp = item.lo; cp <= item.hi; cp++) if (isCased(cp)) return true;
  return false;
}

function itemContains(item: SetItem, cp: number): boolean {
  if (item.kind === 'char') return item.cp === cp;
  if (item.kind === 'range') return item.lo <= cp && cp <= item.hi;
  return false;
}

function asciiSwapCase(cp: number): number {
  if (cp >= 0x41 && cp <= 0x5a) return cp + 0x20;
  if (cp >= 0x61 && cp <= 0x7a) return cp - 0x20;
  return cp;
}

/** What an item adds under ASCII-only case folding: the other case of its ASCII letters. */
function asciiCounterparts(item: SetItem): string[] {
  if (item.kind === 'category') return [];
  const lo = item.kind === 'char' ? item.cp : item.lo;
  const hi = item.kind === 'char' ? item.cp : item.hi;
  const out: string[] = [];
  for (const [from, to] of [[0x41, 0x5a], [0x61, 0x7a]] as const) {
    const a = Math.max(lo, from);
    const b = Math.min(hi, to);
    if (a <= b) out.push(`${literal(asciiSwapCase(a))}-${literal(asciiSwapCase(b))}`);
  }
  return out;
}

/** A code point as JavaScript regex text that means exactly that character in any position. */
function literal(cp: number): string {
  const isAlnum = (cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a);
  return isAlnum ? String.fromCharCode(cp) : `\\u{${cp.toString(16)}}`;
}
