// End to end against the real borg command line: which files does `borg create --dry-run --list`
// select for a tree, and which items does `borg list REPO::ARCHIVE PATH...` show? The same options
// go through our parsers and matcher, walked by a tiny walker that follows borg's _rec_walk rules
// (an excluded directory is still descended into unless its pattern says "do not recurse").

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import {
  addPatternOption, buildMatcher, loadExcludeFile, loadPatternFile, parseExcludePattern, PatternMatcher, type PatternArguments,
} from '../../src/archive/patterns/index.js';
import { normpath } from '../../src/remote/location.js';

const FILES = [
  'src/a.txt', 'src/b.log', 'src/keep.keep', 'src/sub/c.txt', 'src/sub/d.log', 'src/sub/deep/e.txt', 'src/build/out.o',
  'src/build/keep.keep', 'src/.cache/x', 'home/user/.cache/junk', 'home/user/.cache/important', 'home/user/notes.txt',
  'home/user/junk/a', 'home/user/junk/b/c', 'home/other/.cache/y', 'var/log/syslog', 'var/log/app/x.log', 'tmp/x.tmp', 'tmp/y',
  'straße/ä.txt', 'sp ace/f', 'br[a]cket/f',
];

const PATTERN_FILE = `
# roots and rules
R src
R home
r var
P fm
+ *.keep
P sh
- src/build
- home/*/.cache
+ home/user/.cache/important
! home/*/junk
- re:\\.log$
+ pf:home/user/notes.txt
! pp:var/log/app
P re
- /deep(/|$)
`;

const EXCLUDE_FILE = '# excludes\n*.tmp\nsh:**/.cache/\n  re:^src/sub/d\\.  \n';

interface Scenario {
  name: string;
  /** Options as (kind, value), in command-line order. */
  options: [string, string][];
  roots: string[];
}

const SCENARIOS: Scenario[] = [
  { name: '--patterns-from with R roots and every command', options: [['--patterns-from', 'patterns.lst']], roots: [] },
  {
    name: 'positional roots with -e, --exclude-from and --pattern', roots: ['src', 'home', 'tmp', 'straße', 'sp ace', 'br[a]cket'],
    options: [
      ['--pattern', '+src/build/keep.keep'], ['--exclude', 'src/build'], ['--exclude-from', 'excludes.lst'],
      ['--exclude', 'pf:home/user/notes.txt'], ['--exclude', 'pp:/home/other'], ['--pattern', '-straße/*.txt'],
      ['--exclude', 're:\\[a\\]'], ['--pattern', '!tmp/y'],
    ],
  },
];

let base: string;
let tree: string;
let env: NodeJS.ProcessEnv;

function borg(args: string[]): { stdout: string; stderr: string; status: number | null } {
  const result = spawnSync('borg', args, { cwd: tree, env, encoding: 'utf8' });
  return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}

function parseOptions(options: [string, string][]): PatternArguments {
  const into: PatternArguments = { paths: [], patterns: [] };
  const file = (name: string): string => readFileSync(path.join(tree, name), 'utf8');
  for (const [option, value] of options) {
    if (option === '--exclude') into.patterns.push(parseExcludePattern(value));
    else if (option === '--exclude-from') loadExcludeFile(file(value), into);
    else if (option === '--pattern') addPatternOption(value, into);
    else loadPatternFile(file(value), into);
  }
  return into;
}

/** borg's _rec_walk without tag files and devices: what is included, what is reported as excluded. */
function walk(roots: string[], matcher: PatternMatcher): { included: Set<string>; excluded: Set<string> } {
  const included = new Set<string>();
  const excluded = new Set<string>();
  const visit = (item: string): void => {
    const isDir = lstatSync(path.join(tree, item)).isDirectory();
    if (matcher.match(item)) {
      included.add(item);
    } else {
      excluded.add(item);
      if (!matcher.recurseDir || !isDir) return;
    }
    if (isDir) for (const name of readdirSync(path.join(tree, item)).sort()) visit(normpath(`${item}/${name}`));
  };
  for (const root of roots) visit(normpath(root));
  return { included, excluded };
}

/** The `- path` and `x path` lines of `borg create --list --dry-run`. */
function listed(stderr: string): { included: Set<string>; excluded: Set<string> } {
  const included = new Set<string>();
  const excluded = new Set<string>();
  for (const line of stderr.split('\n')) {
    if (line.startsWith('- ')) included.add(line.slice(2));
    else if (line.startsWith('x ')) excluded.add(line.slice(2));
  }
  return { included, excluded };
}

describe('patterns: selection compared with the borg 1.2.4 command line', () => {
  before(() => {
    base = mkdtempSync(path.join(tmpdir(), 'borg-ts-patterns-'));
    tree = path.join(base, 'tree');
    for (const file of FILES) {
      mkdirSync(path.dirname(path.join(tree, file)), { recursive: true });
      writeFileSync(path.join(tree, file), file);
    }
    writeFileSync(path.join(tree, 'patterns.lst'), PATTERN_FILE);
    writeFileSync(path.join(tree, 'excludes.lst'), EXCLUDE_FILE);
    env = {
      ...process.env, BORG_BASE_DIR: path.join(base, 'borg-base'), BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes',
      BORG_REPO: path.join(base, 'repo'), LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8',
    };
    const init = borg(['init', '-e', 'none']);
    assert.equal(init.status, 0, init.stderr);
  });

  after(() => rmSync(base, { recursive: true, force: true }));

  for (const scenario of SCENARIOS) {
    it(`borg create --dry-run --list selects the same paths: ${scenario.name}`, () => {
      const args = scenario.options.map(([option, value]) => `${option}=${value}`);
      const result = borg(['create', '--dry-run', '--list', ...args, '::a', ...scenario.roots]);
      assert.equal(result.status, 0, result.stderr);
      const theirs = listed(result.stderr);
      const into = parseOptions(scenario.options);
      const matcher = new PatternMatcher(true);
      matcher.addInclExcl(into.patterns);
      const ours = walk([...into.paths, ...scenario.roots], matcher);
      assert.deepEqual([...ours.included].sort(), [...theirs.included].sort());
      assert.deepEqual([...ours.excluded].sort(), [...theirs.excluded].sort());
      assert.ok(theirs.included.size > 5 && theirs.excluded.size > 3, 'the scenario selects and excludes something');
    });
  }

  it('borg list and extract with PATHs select the same items and warn about the same PATHs', () => {
    const created = borg(['create', '::full', 'src', 'home', 'var', 'tmp', 'straße']);
    assert.equal(created.status, 0, created.stderr);
    const all = borg(['list', '--format', '{path}{NL}', '::full']).stdout.split('\n').filter((line) => line !== '');
    const paths = ['home/user', '/var/log', 'pf:tmp/y', 'sh:src/**/*.txt', 'nonexistent', 're:ß', 'pf:home', 'pp:src/build/'];
    const options: [string, string][] = [['--exclude', '*.log'], ['--pattern', '-home/user/junk'], ['--pattern', '+home/user/junk/a']];
    const args = options.map(([option, value]) => `${option}=${value}`);
    const listing = borg(['list', '--format', '{path}{NL}', ...args, '::full', ...paths]);
    assert.equal(listing.status, 0, listing.stderr);
    // extract reports PATHs that never matched; --dry-run --list names what it would extract.
    const extract = borg(['extract', '--dry-run', '--list', ...args, '::full', ...paths]);
    const extracted = extract.stderr.split('\n').filter((line) => line !== '' && !line.startsWith('Include pattern'));
    const warnings = extract.stderr.split('\n').filter((line) => line.startsWith('Include pattern'));

    const listMatcher = buildMatcher(parseOptions(options).patterns, paths);
    const extractMatcher = buildMatcher(parseOptions(options).patterns, paths);
    const ours = all.filter((item) => listMatcher.match(item));
    assert.deepEqual(ours, listing.stdout.split('\n').filter((line) => line !== ''));
    assert.deepEqual(all.filter((item) => extractMatcher.match(item)), extracted);
    const ourWarnings = extractMatcher.getUnmatchedIncludePatterns().map((p) => `Include pattern '${p}' never matched.`);
    assert.deepEqual(ourWarnings, warnings);
    assert.ok(ours.length > 3 && warnings.length >= 2);
  });
});
