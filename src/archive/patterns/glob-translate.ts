// The two glob dialects of borg, written out as Python regular expressions (then compiled by
// python-re.ts). Going through Python regex text keeps every corner identical to borg: a shell
// pattern's character class is handed to the regex parser verbatim, exactly as borg does, so
// `sh:[z-a]` is refused just like borg refuses it, while fnmatch drops reversed ranges.

/** Python-regex text for one literal character (backslash before ASCII punctuation and space). */
function escape(char: string): string {
  return /^[\x00-\x7f]$/.test(char) && !/^[A-Za-z0-9_]$/.test(char) ? `\\${char}` : char;
}

/** Index just past the `]` closing a class that opens at `start` (after `[`), or -1 if none. */
function classEnd(chars: string[], start: number): number {
  let j = start;
  if (chars[j] === '!') j++;
  if (chars[j] === ']') j++;
  while (j < chars.length && chars[j] !== ']') j++;
  return j < chars.length ? j : -1;
}

/**
 * Python's fnmatch.translate: `*` is any run of characters and `?` any one character (both cross
 * `/`), `[seq]`/`[!seq]` are classes whose reversed ranges match nothing. Anchored at the end
 * with `\Z`; use it with an anchored (match-style) compile.
 */
export function fnmatchToPythonRegex(pattern: string): string {
  const chars = Array.from(pattern);
  const STAR = null;
  const pieces: (string | null)[] = [];
  for (let i = 0; i < chars.length;) {
    const c = chars[i++]!;
    if (c === '*') {
      if (pieces.length === 0 || pieces[pieces.length - 1] !== STAR) pieces.push(STAR);
    } else if (c === '?') {
      pieces.push('.');
    } else if (c === '[') {
      const end = classEnd(chars, i);
      if (end < 0) {
        pieces.push('\\[');
      } else {
        pieces.push(fnmatchClass(chars.slice(i, end)));
        i = end + 1;
      }
    } else {
      pieces.push(escape(c));
    }
  }
  return `(?s:${joinStars(pieces)})\\Z`;
}

/** One `[...]` of fnmatch: ranges are read left to right as x-y triples; reversed ones vanish. */
function fnmatchClass(content: string[]): string {
  const negate = content[0] === '!';
  const items: string[] = [];
  for (let k = negate ? 1 : 0; k < content.length;) {
    if (k + 2 < content.length && content[k + 1] === '-') {
      const lo = content[k]!;
      const hi = content[k + 2]!;
      if (lo.codePointAt(0)! <= hi.codePointAt(0)!) items.push(`${escape(lo)}-${escape(hi)}`);
      k += 3;
    } else {
      items.push(escape(content[k]!));
      k += 1;
    }
  }
  if (items.length === 0) return negate ? '.' : '(?!)';
  return `[${negate ? '^' : ''}${items.join('')}]`;
}

/**
 * Stars become `.*`; a star between fixed parts takes the shortest run that reaches the next
 * fixed part, inside an atomic group: the same strings match, without runaway backtracking.
 */
function joinStars(pieces: (string | null)[]): string {
  let out = '';
  let i = 0;
  while (i < pieces.length && pieces[i] !== null) out += pieces[i++];
  while (i < pieces.length) {
    i++; // the star
    let fixed = '';
    while (i < pieces.length && pieces[i] !== null) fixed += pieces[i++];
    out += i === pieces.length ? `.*${fixed}` : `(?>.*?${fixed})`;
  }
  return out;
}

/**
 * borg's shell-style patterns: `**` followed by `/` is any number of whole directory levels, `*`
 * any run within one level, `?` one character other than `/`; classes go to the regex engine as
 * written (with `!` negation). Anchored at the end with `\Z`.
 */
export function shellToPythonRegex(pattern: string): string {
  const chars = Array.from(pattern);
  let out = '';
  for (let i = 0; i < chars.length;) {
    const c = chars[i++]!;
    if (c === '*') {
      if (chars[i] === '*' && chars[i + 1] === '/') {
        out += '(?:[^\\/]*\\/)*';
        i += 2;
      } else {
        out += '[^\\/]*';
      }
    } else if (c === '?') {
      out += '[^\\/]';
    } else if (c === '[') {
      const end = classEnd(chars, i);
      if (end < 0) {
        out += '\\[';
      } else {
        let content = chars.slice(i, end).join('').replaceAll('\\', '\\\\');
        if (content.startsWith('!')) content = `^${content.slice(1)}`;
        else if (content.startsWith('^')) content = `\\${content}`;
        out += `[${content}]`;
        i = end + 1;
      }
    } else {
      out += escape(c);
    }
  }
  return `(?ms)${out}\\Z`;
}
