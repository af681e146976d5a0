// borg's include/exclude patterns: styles, the --pattern/--exclude command language, and the
// matcher that create, extract, list, diff, export-tar and recreate consult for every path.

export {
  addPatternOption, cleanLines, commandRecursesDir, isIncludeCommand, loadExcludeFile, loadPatternFile,
  parseExcludePattern, parseInclExclCommand, parsePatternFileLine, readPatternFile,
  type InclExclCommand, type PatternArguments, type PatternCommand, type PatternCommandKind,
} from './commands.js';
export { InvalidPatternCommand, InvalidRegex, PatternFileError, UnknownPatternStyle, UnsupportedRegex } from './errors.js';
export { buildMatcher, PatternMatcher, type MatchResult } from './matcher.js';
export {
  createPattern, FnmatchPattern, parsePattern, PathFullPattern, PathPrefixPattern, Pattern, patternStyle, RegexPattern,
  ShellPattern, type PatternStyle,
} from './pattern.js';
export { compilePythonRegex } from './python-re.js';
