// The five pattern styles of borg (fm, sh, re, pp, pf) and the style-prefix syntax that picks
// one. Paths given to `match` are archive paths: relative, "/"-separated, no leading slash (the
// matcher strips it). Like borg on Linux there is no Unicode normalisation (borg does NFD on macOS).

import { normpath } from '../../remote/location.js';
import { UnknownPatternStyle } from './errors.js';
import { fnmatchToPythonRegex, shellToPythonRegex } from './glob-translate.js';
import { compilePythonRegex } from './python-re.js';

export type PatternStyle = 'fm' | 'sh' | 're' | 'pp' | 'pf';

/** One include/exclude pattern. `matchCount` feeds borg's "Include pattern '...' never matched.". */
export abstract class Pattern {
  abstract readonly style: PatternStyle;
  /** The normalised pattern text (borg's `pattern` attribute). */
  readonly pattern: string;
  /** How often `match` returned true. */
  matchCount = 0;

  /**
   * @param original what the user wrote after any style prefix; `toString()` returns it.
   * @param recurseDir whether a walker still descends into a directory this pattern excludes.
   */
  constructor(readonly original: string, normalised: string, readonly recurseDir: boolean) {
    this.pattern = normalised;
  }

  /** Whether `path` (archive path without leading "/") matches; counts the hit. */
  match(path: string): boolean {
    const matched = this.test(path);
    if (matched) this.matchCount += 1;
    return matched;
  }

  protected abstract test(path: string): boolean;

  toString(): string {
    return this.original;
  }
}

/** `pf:` — the whole path, after normpath; a leading "/" is dropped. */
export class PathFullPattern extends Pattern {
  readonly style = 'pf';
  constructor(text: string, recurseDir = true) {
    super(text, stripLeadingSlashes(normpath(text)), recurseDir);
  }
  protected test(path: string): boolean {
    return path === this.pattern;
  }
}

/** `pp:` — the path itself and everything below it; a trailing "/" makes no difference. */
export class PathPrefixPattern extends Pattern {
  readonly style = 'pp';
  constructor(text: string, recurseDir = true) {
    super(text, stripLeadingSlashes(`${stripTrailingSlashes(normpath(text))}/`), recurseDir);
  }
  protected test(path: string): boolean {
    return `${path}/`.startsWith(this.pattern);
  }
}

/**
 * `fm:` and `sh:` — the pattern matches a path and everything below it, because "/*" (sh:
 * "/**\/*") is appended and the path is tested with a "/" appended. A trailing "/" in the
 * pattern matches only what is below the directory, not the directory itself.
 */
abstract class GlobPattern extends Pattern {
  readonly #regex: RegExp;
  constructor(text: string, recurseDir: boolean, suffix: string, translate: (glob: string) => string) {
    const glob = text.endsWith('/') ? `${stripTrailingSlashes(normpath(text))}/${suffix}/` : `${normpath(text)}/${suffix}`;
    const normalised = stripLeadingSlashes(glob);
    super(text, normalised, recurseDir);
    this.#regex = compilePythonRegex(translate(normalised), { anchored: true });
  }
  protected test(path: string): boolean {
    return this.#regex.test(`${path}/`);
  }
}

/** `fm:` — fnmatch: `*` and `?` also match "/". The default style of --exclude. */
export class FnmatchPattern extends GlobPattern {
  readonly style = 'fm';
  constructor(text: string, recurseDir = true) {
    super(text, recurseDir, '*', fnmatchToPythonRegex);
  }
}

/** `sh:` — shell style: `*` stays within a directory level, `**\/` spans levels. Default of --pattern. */
export class ShellPattern extends GlobPattern {
  readonly style = 'sh';
  constructor(text: string, recurseDir = true) {
    super(text, recurseDir, '**/*', shellToPythonRegex);
  }
}

/** `re:` — a Python regular expression searched anywhere in the path; the text is not normalised. */
export class RegexPattern extends Pattern {
  readonly style = 're';
  readonly #regex: RegExp;
  constructor(text: string, recurseDir = true) {
    super(text, text, recurseDir);
    this.#regex = compilePythonRegex(text);
  }
  protected test(path: string): boolean {
    return this.#regex.test(path);
  }
}

const CONSTRUCTORS: Readonly<Record<PatternStyle, new (text: string, recurseDir?: boolean) => Pattern>> = {
  fm: FnmatchPattern, sh: ShellPattern, re: RegexPattern, pp: PathPrefixPattern, pf: PathFullPattern,
};

/** Checks a style name such as "sh" (from a prefix or a `P` line); UnknownPatternStyle otherwise. */
export function patternStyle(name: string): PatternStyle {
  if (!Object.hasOwn(CONSTRUCTORS, name)) throw new UnknownPatternStyle(name);
  return name as PatternStyle;
}

/** A pattern of the given style, without prefix parsing; recurseDir defaults to true. */
export function createPattern(style: PatternStyle, text: string, options: { recurseDir?: boolean } = {}): Pattern {
  return new CONSTRUCTORS[style](text, options.recurseDir ?? true);
}

/**
 * borg's parse_pattern: "xx:rest" with two alphanumeric characters selects style xx (an unknown
 * one is an error, so "12:30" is refused); anything else uses `defaultStyle`.
 */
export function parsePattern(text: string, defaultStyle: PatternStyle = 'fm', options: { recurseDir?: boolean } = {}): Pattern {
  const chars = Array.from(text);
  if (chars.length > 2 && chars[2] === ':' && /^[\p{L}\p{N}]{2}$/u.test(chars[0]! + chars[1]!)) {
    return createPattern(patternStyle(chars[0]! + chars[1]!), chars.slice(3).join(''), options);
  }
  return createPattern(defaultStyle, text, options);
}

function stripLeadingSlashes(text: string): string {
  return text.replace(/^\/+/, '');
}

function stripTrailingSlashes(text: string): string {
  return text.replace(/\/+$/, '');
}
