// borg's PatternMatcher: the first matching pattern decides; `pf:` patterns are looked up in a
// table before all others (so they win regardless of order, and a later pf: for the same path
// replaces an earlier one); no match gives the fallback. Alongside the verdict it tells the
// walker whether to descend into a directory (`recurseDir`).

import { commandRecursesDir, isIncludeCommand, type PatternCommand, type PatternCommandKind } from './commands.js';
import { parsePattern, PathFullPattern, type Pattern } from './pattern.js';

/** The verdict for one path. */
export interface MatchResult {
  /** Whether the path is selected (included). */
  readonly included: boolean;
  /** Whether a walker descends into the path if it is a directory, even when it is excluded. */
  readonly recurseDir: boolean;
}

export class PatternMatcher {
  /** The verdict when no pattern matches. */
  fallback: boolean;
  /** `recurseDir` of the last `match` call, like borg's attribute; null before the first call. */
  recurseDir: boolean | null = null;
  /** Positional PATH patterns (addIncludePaths), for getUnmatchedIncludePatterns. */
  includePatterns: Pattern[] = [];

  readonly #items: { pattern: Pattern; cmd: PatternCommandKind }[] = [];
  readonly #fullPaths = new Map<string, PatternCommandKind>();

  /** borg's create uses fallback true; extract/list/diff get theirs from addIncludePaths. */
  constructor(fallback = false) {
    this.fallback = fallback;
  }

  /** True when no pattern was added (extract then is not "partial"). */
  empty(): boolean {
    return this.#items.length === 0 && this.#fullPaths.size === 0;
  }

  add(patterns: Iterable<Pattern>, cmd: PatternCommandKind): void {
    for (const pattern of patterns) this.#add(pattern, cmd);
  }

  /** The --exclude/--pattern/... list, in order. */
  addInclExcl(commands: Iterable<PatternCommand>): void {
    for (const { pattern, cmd } of commands) this.#add(pattern, cmd);
  }

  /**
   * The positional PATHs of extract/list/diff/...: `pp:` patterns by default, included; the
   * fallback becomes "excluded" as soon as there is at least one PATH.
   */
  addIncludePaths(paths: readonly string[]): void {
    const patterns = paths.map((path) => parsePattern(path, 'pp'));
    this.add(patterns, 'Include');
    this.fallback = patterns.length === 0;
    this.includePatterns = patterns;
  }

  /**
   * PATH patterns that never matched, for borg's warning "Include pattern '%s' never matched.".
   * A `pf:` PATH is always reported: full-path hits are not counted (as in borg).
   */
  getUnmatchedIncludePatterns(): Pattern[] {
    return this.includePatterns.filter((pattern) => pattern.matchCount === 0);
  }

  /** The verdict for an archive path (leading slashes ignored), without touching `recurseDir`. */
  decide(path: string): MatchResult {
    const relative = path.replace(/^\/+/, '');
    const full = this.#fullPaths.get(relative);
    if (full !== undefined) return { included: isIncludeCommand(full), recurseDir: commandRecursesDir(full) };
    for (const { pattern, cmd } of this.#items) {
      if (pattern.match(relative)) return { included: isIncludeCommand(cmd), recurseDir: pattern.recurseDir };
    }
    return { included: this.fallback, recurseDir: true };
  }

  /** borg's match(): the verdict, with `recurseDir` set for the walker. */
  match(path: string): boolean {
    const result = this.decide(path);
    this.recurseDir = result.recurseDir;
    return result.included;
  }

  #add(pattern: Pattern, cmd: PatternCommandKind): void {
    if (pattern instanceof PathFullPattern) this.#fullPaths.set(pattern.pattern, cmd);
    else this.#items.push({ pattern, cmd });
  }
}

/** borg's build_matcher for extract, list, diff, export-tar, recreate: patterns, then PATHs. */
export function buildMatcher(patterns: Iterable<PatternCommand>, paths: readonly string[]): PatternMatcher {
  const matcher = new PatternMatcher();
  matcher.addInclExcl(patterns);
  matcher.addIncludePaths(paths);
  return matcher;
}
