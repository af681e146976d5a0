// A parser for Python 3.11 `re` syntax (str patterns), producing python-re-ast.ts trees. It
// accepts exactly what Python accepts and refuses the rest with Python's own error wording and
// position, so a `re:` pattern that borg would reject is rejected here too. (Longer than most
// files because the grammar is one unit: groups, classes and repeats recurse into each other.)

import { MAXREPEAT, nodeWidth, type NodeFlags, type ReNode, type SetItem, type Width } from './python-re-ast.js';
import { classEscape, patternEscape, type Escape } from './python-re-escapes.js';
import { isIdentifier, PythonRegexError, pyRepr, Tokens } from './python-re-tokens.js';

const SPECIAL = '.\\[{()*+?^$|';
const WHITESPACE = ' \t\n\r\v\f';
const DIGITS = '0123456789';
const MAXGROUPS = 1073741823;

// Python's flag bits (re._constants); L is parsed only to be refused, T to be reported.
const F_TEMPLATE = 1;
const F_IGNORECASE = 2;
const F_LOCALE = 4;
const F_MULTILINE = 8;
const F_DOTALL = 16;
const F_UNICODE = 32;
const F_VERBOSE = 64;
const F_ASCII = 256;
const TYPE_FLAGS = F_ASCII | F_LOCALE | F_UNICODE;
const GLOBAL_FLAGS = F_TEMPLATE;
const FLAGS: Readonly<Record<string, number>> = {
  i: F_IGNORECASE, L: F_LOCALE, m: F_MULTILINE, s: F_DOTALL, x: F_VERBOSE, a: F_ASCII, t: F_TEMPLATE, u: F_UNICODE,
};

/** Scoped flags of one `(?flags:...)` group. */
interface Scope {
  add: number;
  del: number;
}

export interface ParsedRegex {
  root: ReNode;
  /** Number of capturing groups. */
  groupCount: number;
  /** Whether the pattern-wide flags select ASCII (not Unicode) classes. */
  ascii: boolean;
  /** Valid Python that JavaScript cannot reproduce (empty when the pattern is fully supported). */
  unsupported: string[];
}

/** Parses `source` like Python's re.compile would; throws PythonRegexError where Python raises re.error. */
export function parsePythonRegex(source: string): ParsedRegex {
  return new Parser(source).run();
}

class Parser {
  readonly #t: Tokens;
  #flags = 0;
  readonly #groupWidths: (Width | null)[] = [null];
  readonly #groupNames = new Map<string, number>();
  #lookbehindGroups: number | null = null;
  readonly #condRefPos = new Map<number, number>();

  constructor(source: string) {
    this.#t = new Tokens(source);
  }

  run(): ParsedRegex {
    const t = this.#t;
    const root = this.#parseSub(false, 0, []);
    if ((this.#flags & F_ASCII) !== 0 && (this.#flags & F_UNICODE) !== 0) {
      throw new PythonRegexError('ASCII and UNICODE flags are incompatible');
    }
    if (t.next !== null) throw t.error('unbalanced parenthesis');
    for (const [group, pos] of this.#condRefPos) {
      if (group >= this.#groupWidths.length) throw t.errorAt(`invalid group reference ${group}`, pos);
    }
    checkLookbehinds(root, this.#groupWidths);
    const unsupported = [...t.unsupported];
    if ((this.#flags & F_TEMPLATE) !== 0) unsupported.push('the TEMPLATE flag (?t)');
    return { root, groupCount: this.#groupWidths.length - 1, ascii: (this.#flags & F_ASCII) !== 0, unsupported };
  }

  #parseSub(verbose: boolean, nested: number, scopes: Scope[]): ReNode {
    const branches: ReNode[] = [];
    for (;;) {
      branches.push(this.#parse(verbose, nested + 1, scopes, nested === 0 && branches.length === 0));
      if (!this.#t.match('|')) break;
      if (nested === 0) verbose = (this.#flags & F_VERBOSE) !== 0;
    }
    return branches.length === 1 ? branches[0]! : { kind: 'alt', branches };
  }

  #nodeFlags(scopes: Scope[]): NodeFlags {
    let flags = this.#flags;
    for (const { add, del } of scopes) {
      if ((add & TYPE_FLAGS) !== 0) flags &= ~TYPE_FLAGS;
      flags = (flags | add) & ~del;
    }
    return {
      ignoreCase: (flags & F_IGNORECASE) !== 0, multiline: (flags & F_MULTILINE) !== 0,
      dotAll: (flags & F_DOTALL) !== 0, ascii: (flags & F_ASCII) !== 0,
    };
  }

  #parse(verbose: boolean, nested: number, scopes: Scope[], first: boolean): ReNode {
    const t = this.#t;
    const items: ReNode[] = [];
    for (;;) {
      const token = t.next;
      if (token === null || token === '|' || token === ')') break;
      t.get();
      if (verbose) {
        if (WHITESPACE.includes(token)) continue;
        if (token === '#') {
          for (let c = t.get(); c !== null && c !== '\n'; c = t.get());
          continue;
        }
      }
      if (token[0] === '\\') {
        items.push(this.#escapeNode(patternEscape(t, token, this), scopes));
      } else if (!SPECIAL.includes(token)) {
        items.push({ kind: 'char', cp: token.codePointAt(0)!, flags: this.#nodeFlags(scopes) });
      } else if (token === '[') {
        items.push(this.#parseClass(scopes));
      } else if ('*+?{'.includes(token)) {
        this.#parseRepeat(token, items, scopes);
      } else if (token === '.') {
        items.push({ kind: 'any', flags: this.#nodeFlags(scopes) });
      } else if (token === '(') {
        const result = this.#parseGroup(verbose, nested, scopes, first && items.length === 0);
        if (result === 'global-flags') verbose = (this.#flags & F_VERBOSE) !== 0;
        else if (result !== null) items.push(result);
      } else {
        items.push({ kind: 'at', at: token === '^' ? 'bol' : 'eol', flags: this.#nodeFlags(scopes) });
      }
    }
    return { kind: 'seq', items };
  }

  #escapeNode(escape: Escape, scopes: Scope[]): ReNode {
    const flags = this.#nodeFlags(scopes);
    switch (escape.kind) {
      case 'char': return { kind: 'char', cp: escape.cp, flags };
      case 'category': return { kind: 'set', negate: false, items: [escape], flags };
      case 'at': return { kind: 'at', at: escape.at, flags };
      case 'backref': return { kind: 'backref', group: escape.group, flags };
    }
  }

  #parseClass(scopes: Scope[]): ReNode {
    const t = this.#t;
    const here = t.tell() - 1;
    const negate = t.match('^');
    const items: SetItem[] = [];
    for (;;) {
      const token = t.get();
      if (token === null) throw t.error('unterminated character set', t.tell() - here);
      if (token === ']' && items.length > 0) break;
      const first = this.#classAtom(token);
      if (!t.match('-')) {
        items.push(first);
        continue;
      }
      const that = t.get();
      if (that === null) throw t.error('unterminated character set', t.tell() - here);
      if (that === ']') {
        items.push(first, { kind: 'char', cp: 0x2d });
        break;
      }
      const second = this.#classAtom(that);
      if (first.kind !== 'char' || second.kind !== 'char' || second.cp < first.cp) {
        throw t.error(`bad character range ${token}-${that}`, cpLength(token) + 1 + cpLength(that));
      }
      items.push({ kind: 'range', lo: first.cp, hi: second.cp });
    }
    return { kind: 'set', negate, items, flags: this.#nodeFlags(scopes) };
  }

  #classAtom(token: string): SetItem {
    if (token[0] !== '\\') return { kind: 'char', cp: token.codePointAt(0)! };
    const escape = classEscape(this.#t, token);
    return escape.kind === 'category' ? escape : { kind: 'char', cp: (escape as { cp: number }).cp };
  }

  #parseRepeat(token: string, items: ReNode[], scopes: Scope[]): void {
    const t = this.#t;
    const here = t.tell();
    let min = token === '+' ? 1 : 0;
    let max = token === '?' ? 1 : MAXREPEAT;
    if (token === '{') {
      if (t.next === '}') {
        items.push({ kind: 'char', cp: 0x7b, flags: this.#nodeFlags(scopes) });
        return;
      }
      let lo = '';
      let hi = '';
      while (t.next !== null && t.next.length === 1 && DIGITS.includes(t.next)) lo += t.get()!;
      if (t.match(',')) {
        while (t.next !== null && t.next.length === 1 && DIGITS.includes(t.next)) hi += t.get()!;
      } else {
        hi = lo;
      }
      if (!t.match('}')) {
        items.push({ kind: 'char', cp: 0x7b, flags: this.#nodeFlags(scopes) });
        t.seek(here);
        return;
      }
      if (lo !== '') min = repeatBound(lo);
      if (hi !== '') {
        max = repeatBound(hi);
        if (max < min) throw t.error('min repeat greater than max repeat', t.tell() - here);
      }
    }
    const last = items[items.length - 1];
    const offset = t.tell() - here + cpLength(token);
    if (last === undefined || last.kind === 'at') throw t.error('nothing to repeat', offset);
    if (last.kind === 'repeat') throw t.error('multiple repeat', offset);
    const mode = t.match('?') ? 'lazy' : t.match('+') ? 'possessive' : 'greedy';
    items[items.length - 1] = { kind: 'repeat', min, max, mode, body: last };
  }

  /** Everything after `(`; null for comments and flag-only groups. */
  #parseGroup(verbose: boolean, nested: number, scopes: Scope[], first: boolean): ReNode | 'global-flags' | null {
    const t = this.#t;
    const start = t.tell() - 1;
    let capture = true;
    let atomic = false;
    let name: string | null = null;
    let scope: Scope = { add: 0, del: 0 };
    if (t.match('?')) {
      const char = t.get();
      if (char === null) throw t.error('unexpected end of pattern');
      if (char === 'P') {
        if (t.match('<')) {
          name = t.getUntil('>', 'group name');
          this.#checkGroupName(name, 1);
        } else if (t.match('=')) {
          return this.#namedBackref(scopes);
        } else {
          const next = t.get();
          if (next === null) throw t.error('unexpected end of pattern');
          throw t.error(`unknown extension ?P${next}`, cpLength(next) + 2);
        }
      } else if (char === ':') {
        capture = false;
      } else if (char === '#') {
        for (;;) {
          if (t.next === null) throw t.error('missing ), unterminated comment', t.tell() - start);
          if (t.get() === ')') return null;
        }
      } else if (char === '=' || char === '!' || char === '<') {
        return this.#parseLook(char, verbose, nested, scopes, start);
      } else if (char === '(') {
        return this.#parseConditional(verbose, nested, scopes, start);
      } else if (char === '>') {
        capture = false;
        atomic = true;
      } else if (char in FLAGS || char === '-') {
        const flags = this.#parseFlags(char);
        if (flags === null) {
          if (!first) throw t.error('global flags not at the start of the expression', t.tell() - start);
          return 'global-flags';
        }
        scope = flags;
        capture = false;
      } else {
        throw t.error(`unknown extension ?${char}`, cpLength(char) + 1);
      }
    }
    let group: number | null = null;
    if (capture) group = this.#openGroup(name);
    const subVerbose = (verbose || (scope.add & F_VERBOSE) !== 0) && (scope.del & F_VERBOSE) === 0;
    const inner = scope.add !== 0 || scope.del !== 0 ? [...scopes, scope] : scopes;
    const body = this.#parseSub(subVerbose, nested + 1, inner);
    if (!t.match(')')) throw t.error('missing ), unterminated subpattern', t.tell() - start);
    if (group !== null) this.#groupWidths[group] = nodeWidth(body, this.#groupWidths);
    return atomic ? { kind: 'atomic', body } : { kind: 'group', index: group, body };
  }

  #openGroup(name: string | null): number {
    const group = this.#groupWidths.length;
    this.#groupWidths.push(null);
    if (name !== null) {
      const previous = this.#groupNames.get(name);
      if (previous !== undefined) {
        throw this.#t.error(`redefinition of group name ${pyRepr(name)} as group ${group}; was group ${previous}`, cpLength(name) + 1);
      }
      this.#groupNames.set(name, group);
    }
    return group;
  }

  #checkGroupName(name: string, offset: number): void {
    if (!isIdentifier(name)) throw this.#t.error(`bad character in group name ${pyRepr(name)}`, cpLength(name) + offset);
  }

  #namedBackref(scopes: Scope[]): ReNode {
    const t = this.#t;
    const name = t.getUntil(')', 'group name');
    this.#checkGroupName(name, 1);
    const group = this.#groupNames.get(name);
    if (group === undefined) throw t.error(`unknown group name ${pyRepr(name)}`, cpLength(name) + 1);
    if (!this.#isClosed(group)) throw t.error('cannot refer to an open group', cpLength(name) + 1);
    this.#checkLookbehindGroup(group);
    return { kind: 'backref', group, flags: this.#nodeFlags(scopes) };
  }

  /** For `\N` escapes (GroupReferenceCheck of python-re-escapes.ts). */
  checkReference(group: number, escapeLength: number): void {
    const t = this.#t;
    if (group >= this.#groupWidths.length) throw t.error(`invalid group reference ${group}`, escapeLength - 1);
    if (!this.#isClosed(group)) throw t.error('cannot refer to an open group', escapeLength);
    this.#checkLookbehindGroup(group);
  }

  #isClosed(group: number): boolean {
    return group < this.#groupWidths.length && this.#groupWidths[group] !== null;
  }

  #checkLookbehindGroup(group: number): void {
    if (this.#lookbehindGroups === null) return;
    if (!this.#isClosed(group)) throw this.#t.error('cannot refer to an open group');
    if (group >= this.#lookbehindGroups) throw this.#t.error('cannot refer to group defined in the same lookbehind subpattern');
  }

  #parseLook(char: string, verbose: boolean, nested: number, scopes: Scope[], start: number): ReNode {
    const t = this.#t;
    let kind = char;
    const behind = char === '<';
    const saved = this.#lookbehindGroups;
    if (behind) {
      const next = t.get();
      if (next === null) throw t.error('unexpected end of pattern');
      if (next !== '=' && next !== '!') throw t.error(`unknown extension ?<${next}`, cpLength(next) + 2);
      kind = next;
      if (saved === null) this.#lookbehindGroups = this.#groupWidths.length;
    }
    const body = this.#parseSub(verbose, nested + 1, scopes);
    if (behind && saved === null) this.#lookbehindGroups = null;
    if (!t.match(')')) throw t.error('missing ), unterminated subpattern', t.tell() - start);
    return { kind: 'look', behind, negate: kind === '!', body };
  }

  #parseConditional(verbose: boolean, nested: number, scopes: Scope[], start: number): ReNode {
    const t = this.#t;
    const name = t.getUntil(')', 'group name');
    const length = cpLength(name);
    let group: number;
    if (isIdentifier(name)) {
      const found = this.#groupNames.get(name);
      if (found === undefined) throw t.error(`unknown group name ${pyRepr(name)}`, length + 1);
      group = found;
    } else {
      const match = /^\s*\+?(\d+(?:_\d+)*)\s*$/.exec(name);
      if (match === null) throw t.error(`bad character in group name ${pyRepr(name)}`, length + 1);
      group = Number(match[1]!.replaceAll('_', ''));
      if (group === 0) throw t.error('bad group number', length + 1);
      if (group >= MAXGROUPS) throw t.error(`invalid group reference ${group}`, length + 1);
      if (!this.#condRefPos.has(group)) this.#condRefPos.set(group, t.tell() - length - 1);
    }
    this.#checkLookbehindGroup(group);
    const yes = this.#parse(verbose, nested + 1, scopes, false);
    let no: ReNode | null = null;
    if (t.match('|')) {
      no = this.#parse(verbose, nested + 1, scopes, false);
      if (t.next === '|') throw t.error('conditional backref with more than two branches');
    }
    if (!t.match(')')) throw t.error('missing ), unterminated subpattern', t.tell() - start);
    return { kind: 'cond', group, yes, no };
  }

  /** `(?aiLmsux-imsx:` or `(?aiLmsux)`; null means global flags (now applied). */
  #parseFlags(first: string): Scope | null {
    const t = this.#t;
    let char: string | null = first;
    let add = 0;
    let del = 0;
    if (char !== '-') {
      for (;;) {
        if (char === 'L') throw t.error("bad inline flags: cannot use 'L' flag with a str pattern");
        const flag: number = FLAGS[char]!;
        add |= flag;
        if ((flag & TYPE_FLAGS) !== 0 && (add & TYPE_FLAGS) !== flag) {
          throw t.error("bad inline flags: flags 'a', 'u' and 'L' are incompatible");
        }
        char = t.get();
        if (char === null) throw t.error('missing -, : or )');
        if (char === ')' || char === '-' || char === ':') break;
        if (!(char in FLAGS)) throw t.error(isAlpha(char) ? 'unknown flag' : 'missing -, : or )', cpLength(char));
      }
    }
    if (char === ')') {
      this.#flags |= add;
      return null;
    }
    if ((add & GLOBAL_FLAGS) !== 0) throw t.error('bad inline flags: cannot turn on global flag', 1);
    if (char === '-') {
      char = t.get();
      if (char === null) throw t.error('missing flag');
      if (!(char in FLAGS)) throw t.error(isAlpha(char) ? 'unknown flag' : 'missing flag', cpLength(char));
      for (;;) {
        const flag: number = FLAGS[char]!;
        if ((flag & TYPE_FLAGS) !== 0) throw t.error("bad inline flags: cannot turn off flags 'a', 'u' and 'L'");
        del |= flag;
        char = t.get();
        if (char === null) throw t.error('missing :');
        if (char === ':') break;
        if (!(char in FLAGS)) throw t.error(isAlpha(char) ? 'unknown flag' : 'missing :', cpLength(char));
      }
    }
    if ((del & GLOBAL_FLAGS) !== 0) throw t.error('bad inline flags: cannot turn off global flag', 1);
    if ((add & del) !== 0) throw t.error('bad inline flags: flag turned on and off', 1);
    return { add, del };
  }
}

/** Python checks look-behind widths when compiling, after the whole pattern parsed. */
function checkLookbehinds(node: ReNode, groupWidths: ReadonlyArray<Width | null>): void {
  switch (node.kind) {
    case 'seq': for (const item of node.items) checkLookbehinds(item, groupWidths); return;
    case 'alt': for (const branch of node.branches) checkLookbehinds(branch, groupWidths); return;
    case 'group': case 'atomic': case 'repeat': checkLookbehinds(node.body, groupWidths); return;
    case 'cond':
      checkLookbehinds(node.yes, groupWidths);
      if (node.no !== null) checkLookbehinds(node.no, groupWidths);
      return;
    case 'look': {
      if (node.behind) {
        const [lo, hi] = nodeWidth(node.body, groupWidths);
        if (lo !== hi) throw new PythonRegexError('look-behind requires fixed-width pattern');
      }
      checkLookbehinds(node.body, groupWidths);
      return;
    }
    default:
  }
}

function repeatBound(digits: string): number {
  const value = Number(digits);
  if (value >= MAXREPEAT) throw new PythonRegexError('the repetition number is too large');
  return value;
}

function cpLength(text: string): number {
  return Array.from(text).length;
}

function isAlpha(text: string): boolean {
  return /^\p{L}+$/u.test(text);
}
