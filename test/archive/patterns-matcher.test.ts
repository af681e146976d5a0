// The option and pattern-file language and the PatternMatcher against borg 1.2.4: each case is a
// sequence of --exclude / --exclude-from / --pattern / --patterns-from options, applied in order
// the way borg's argparse actions apply them, then a matcher in "create" mode (fallback: include)
// or "extract" mode (positional PATHs). Roots, parsed commands, per-path verdicts with
// recurse_dir, the unmatched PATH patterns and the errors must all agree.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  addPatternOption, buildMatcher, cleanLines, InvalidPatternCommand, InvalidRegex, loadExcludeFile, loadPatternFile,
  parseExcludePattern, parseInclExclCommand, PatternMatcher, UnknownPatternStyle, type PatternArguments,
} from '../../src/archive/patterns/index.js';
import { python } from '../cli/borg-python.js';

type Option = ['exclude' | 'pattern' | 'patterns-from' | 'exclude-from', string];
interface Case { name: string; mode: 'create' | 'extract'; options: Option[]; includePaths: string[]; paths: string[] }
type Outcome = { error: string } | {
  roots: string[];
  commands: [string, string, string, boolean][];
  results: [boolean, boolean][];
  unmatched: string[];
  empty: boolean;
};

const ORACLE = String.raw`
import io, json, sys, warnings
warnings.simplefilter('ignore')
from borg.patterns import (PatternMatcher, ShellPattern, load_exclude_file, load_pattern_file,
                           parse_exclude_pattern, parse_patternfile_line)

def textfile(text):
    # what open() gives: UTF-8 with universal newlines
    return io.TextIOWrapper(io.BytesIO(text.encode('utf-8')), encoding='utf-8')

def run(case):
    paths, patterns = [], []
    for kind, value in case['options']:
        if kind == 'exclude':
            patterns.append(parse_exclude_pattern(value))
        elif kind == 'pattern':
            parse_patternfile_line(value, paths, patterns, ShellPattern)
        elif kind == 'patterns-from':
            load_pattern_file(textfile(value), paths, patterns)
        else:
            load_exclude_file(textfile(value), patterns)
    matcher = PatternMatcher(fallback=True) if case['mode'] == 'create' else PatternMatcher()
    matcher.add_inclexcl(patterns)
    if case['mode'] == 'extract':
        matcher.add_includepaths(case['includePaths'])
    results = []
    for path in case['paths']:
        verdict = matcher.match(path)
        results.append([verdict, matcher.recurse_dir])
    return {
        'roots': paths,
        'commands': [[str(c.val), c.cmd.name, type(c.val).__name__, c.val.recurse_dir] for c in patterns],
        'results': results,
        'unmatched': [str(p) for p in matcher.get_unmatched_include_patterns()],
        'empty': matcher.empty(),
    }

out = []
for case in json.load(sys.stdin):
    try:
        out.append(run(case))
    except Exception as e:
        out.append({'error': type(e).__name__})
print(json.dumps(out))
`;

const PATTERN_FILE = [
  '# a comment', '   # an indented comment', '', '\t', 'R src', 'r  other ', 'P fm', '+ *.keep', 'P sh', '- home/*/.cache',
  '+ home/user/.cache/important', '! home/*/junk', '- re:\\.tmp$', '+ pf:home/user/notes.txt', '- pf:home/user/notes.txt',
  '! pp:/var/log', 'p re', '- ^src/build(/|$)', 'P pf', '+ src/build/keep.keep', 'p pp', '! tmp', 'P sh',
  '+ **/*.c', '- src/**', '+\tlast#not-a-comment',
].join('\n');

const PATHS = [
  'src', 'src/a.keep', 'src/a.c', 'src/sub/b.c', 'src/sub/b.h', 'src/build', 'src/build/keep.keep', 'src/build/out.o', 'home',
  'home/user', 'home/user/.cache', 'home/user/.cache/important', 'home/user/.cache/junk', 'home/user/junk', 'home/user/junk/a',
  'home/user/notes.txt', 'home/other/.cache', 'var/log', 'var/log/x', 'var/logs', 'tmp', 'tmp/x', 'tmpx', 'x.tmp', 'a/b.tmp',
  '/home/user/notes.txt', '//src/build', 'etc/passwd', 'etc/hosts', 'etc/passwd/x', 'var/cache/a', 'var/cacheb', 'foo ', 'foo',
  'home/user/keep', 'last#not-a-comment', 'x.o', 'a/x.o', 'a/build/y', 'build', 'b.bak', 'home/u/.cache/f', 'q/junk', 'v.swp',
  'src/main.c', 'nonexistent', 'other', '.',
];

const CASES: Case[] = [
  { name: 'a pattern file with every command', mode: 'create', options: [['patterns-from', PATTERN_FILE]], includePaths: [], paths: PATHS },
  {
    name: '--exclude, --exclude-from and --pattern in command-line order', mode: 'create', includePaths: [], paths: PATHS,
    options: [
      ['exclude', '*.o'], ['exclude', 'sh:**/build/'], ['exclude', 're:^tmp'], ['exclude', 'pp:/var/cache'],
      ['exclude', 'pf:etc/passwd'], ['exclude-from', '*.bak\n\n# c\n  sh:home/*/.cache/  \r\nfm:*/junk\rre:\\.swp$\n'],
      ['pattern', '+etc/passwd'], ['pattern', '+ foo '], ['pattern', '-foo*'],
    ],
  },
  {
    name: 'include before exclude, roots and P through --pattern', mode: 'create', includePaths: [], paths: PATHS,
    options: [
      ['pattern', '+home/user/keep'], ['exclude', 'home/user'], ['pattern', '-home'], ['pattern', 'R /abs/root'],
      ['pattern', 'P re'], ['pattern', '+*.c'], ['pattern', '!src'], ['pattern', 'R  /x  '],
    ],
  },
  {
    name: 'extract with PATHs of every style and an exclude', mode: 'extract', paths: PATHS,
    options: [['exclude', '*.keep']],
    includePaths: ['home/user', '/etc/passwd', 'pf:etc/hosts', 'sh:var/**/x', 'nonexistent', 're:^src/.*\\.c$', 'pp:src/', 'pf:nowhere'],
  },
  { name: 'extract without PATHs or patterns', mode: 'extract', options: [], includePaths: [], paths: PATHS },
  { name: 'extract with patterns only', mode: 'extract', options: [['pattern', '-src'], ['pattern', '+src/a.c']], includePaths: [], paths: PATHS },
  { name: 'extract with pf: PATHs only', mode: 'extract', options: [], includePaths: ['pf:src/a.c'], paths: ['src/a.c', 'src'] },
  { name: 'create with nothing', mode: 'create', options: [], includePaths: [], paths: ['a'] },
  ...([
    ['pattern', ''], ['pattern', 'x'], ['pattern', '+'], ['pattern', '+   '], ['pattern', 'Pxx'], ['pattern', 'P'], ['pattern', 'P re '],
    ['pattern', ' +a'], ['pattern', '+zz:a'], ['pattern', '+re:('], ['patterns-from', '\ufeff+ a'], ['patterns-from', 'x'],
    ['exclude', 'zz:a'], ['exclude', 're:['], ['exclude-from', 'sh:[z-a]'], ['patterns-from', 'R'], ['patterns-from', '+\x1cfoo'],
    ['patterns-from', 'P\tpf\n+ /a/b/\n'], ['pattern', 'p sh'], ['pattern', '!re:'], ['pattern', '+\u2003a'], ['pattern', '+\ufeffa'],
    ['patterns-from', 'p xx'], ['patterns-from', '+ a\n  \n-\n'], ['exclude', ''], ['exclude-from', '\u00a0\u3000x\u2029y'],
    ['pattern', 'R'], ['pattern', 'r .'], ['pattern', '-12:30'], ['pattern', '+ fm:'], ['patterns-from', '\x85+ a\x85'],
  ] as Option[]).map((option): Case => ({
    name: `option ${JSON.stringify(option)}`, mode: 'create', options: [option], includePaths: [],
    paths: ['a', 'foo', 'a/b', 'x', 'y', '\u2029y', '\ufeffa', ''],
  })),
];

function ours(c: Case): Outcome {
  const into: PatternArguments = { paths: [], patterns: [] };
  try {
    for (const [kind, value] of c.options) {
      if (kind === 'exclude') into.patterns.push(parseExcludePattern(value));
      else if (kind === 'pattern') addPatternOption(value, into);
      else if (kind === 'patterns-from') loadPatternFile(value, into);
      else loadExcludeFile(value, into);
    }
  } catch (error) {
    if (error instanceof InvalidPatternCommand) return { error: 'ArgumentTypeError' };
    if (error instanceof UnknownPatternStyle) return { error: 'ValueError' };
    if (error instanceof InvalidRegex) return { error: 'error' };
    throw error;
  }
  const matcher = c.mode === 'create' ? new PatternMatcher(true) : buildMatcher(into.patterns, c.includePaths);
  if (c.mode === 'create') matcher.addInclExcl(into.patterns);
  const results = c.paths.map((path): [boolean, boolean] => [matcher.match(path), matcher.recurseDir!]);
  return {
    roots: into.paths,
    commands: into.patterns.map(({ pattern, cmd }) => [String(pattern), cmd, pattern.constructor.name, pattern.recurseDir]),
    results,
    unmatched: matcher.getUnmatchedIncludePatterns().map(String),
    empty: matcher.empty(),
  };
}

const expected = python<Outcome[]>(ORACLE, CASES);

describe('patterns: options, pattern files and PatternMatcher compared with borg 1.2.4', () => {
  CASES.forEach((c, k) => {
    it(`agrees with borg: ${c.name}`, () => {
      assert.deepEqual(ours(c), expected[k]);
    });
  });

  it('PatternMatcher.decide() gives the verdict without changing recurseDir', () => {
    const into: PatternArguments = { paths: [], patterns: [] };
    loadPatternFile('- a\n! b\n+ a/keep', into);
    const matcher = new PatternMatcher(true);
    matcher.addInclExcl(into.patterns);
    assert.deepEqual(matcher.decide('a'), { included: false, recurseDir: true });
    assert.deepEqual(matcher.decide('b/x'), { included: false, recurseDir: false });
    assert.deepEqual(matcher.decide('c'), { included: true, recurseDir: true });
    assert.equal(matcher.recurseDir, null);
  });

  it('parseInclExclCommand() returns roots, style switches and patterns', () => {
    assert.deepEqual(parseInclExclCommand('R /x'), { cmd: 'RootPath', path: '/x' });
    assert.deepEqual(parseInclExclCommand('p re'), { cmd: 'PatternStyle', style: 're' });
    const include = parseInclExclCommand('+ a/*', 'fm');
    assert.ok('pattern' in include && include.pattern.style === 'fm' && include.cmd === 'Include');
  });

  it('errors are one-line UsageErrors that name the line', () => {
    assert.throws(() => parseInclExclCommand('x'), (error: unknown) => {
      assert.ok(error instanceof InvalidPatternCommand);
      assert.equal(error.message, 'Cannot parse pattern command "x": it must start with one of -, !, +, R, r, P, p');
      assert.equal(error.exitCode, 2);
      return true;
    });
    assert.throws(() => parseInclExclCommand('P xx'), /unknown pattern style "xx"/);
  });

  it('cleanLines() splits like Python universal newlines and strips Python whitespace', () => {
    assert.deepEqual(cleanLines('a\r\nb\rc\n\x1c d \x85\n#x\n  #y\n\u2028'), ['a', 'b', 'c', 'd']);
    assert.deepEqual(cleanLines('\ufeffa'), ['\ufeffa']);
  });
});
