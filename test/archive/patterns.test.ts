// The five pattern styles against borg 1.2.4 itself: every (pattern, default style) pair below is
// parsed by borg's parse_pattern and by ours, then matched against the same paths; the normalised
// pattern text, str(pattern), the verdicts and the errors must agree. Random fm:/sh: globs made of
// the characters that carry meaning (classes, ranges, stars, slashes) widen the net.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  InvalidRegex, parsePattern, PathFullPattern, PathPrefixPattern, UnknownPatternStyle, type PatternStyle,
} from '../../src/archive/patterns/index.js';
import { python } from '../cli/borg-python.js';

const PATHS = [
  '', 'a', 'a/', 'a/b', 'a/b/c', 'a/bc', 'ab', 'b/a', 'x/a/b', '/a/b', 'a.txt', 'a/b.txt', 'dir/sub/file.c', '.hidden',
  'dir/.hidden/x', 'home/user/.cache/f', 'home/user/cache', 'home/user/.cache', 'tmp', 'tmp/x', 'tmpx', 'a b/c', 'ä/ö',
  'straße', 'STRASSE', 'a\nb', 'a/\nb', 'x*y', 'x[1]', 'x1', 'x?', '[a]', ']a', 'back\\slash', 'dc\udc80/x', '😀/x', '😀',
  'a//b', 'a/./b', '-', '!', '^', '#x', 'home', 'home/user', 'K', 'k', 'İ', 'i', '..', '../a', 'a/..', './a',
];

const TEXTS = [
  'a', 'a/', '/a', '/a/', 'a/b', 'a/b/', 'a/*', '*', '*/', '', '/', '//a', '///a', 'a//b', 'a/./b', 'a/../b', '../a', './a',
  'a/..', '.', '*.txt', '**/*.txt', '**/b', 'a/**', 'a/**/c', '**', '**/', '***/x', '*/**/b', '?', 'a?', '?/b', '[ab]',
  '[!a]*', '[]a]', '[!]a]', '[a-', '[z-a]', '[a-c-e]', '[--0]', '[\\]', 'x[*]y', 'x[?]', 'x[[]1]', '\\*', '[^a]', '[!^]',
  '[a-z]*', '*[!/]', 'home/*/.cache', 'home/user/.cache/', 'home/**/.cache/', 'tmp*', 'ä*', 'straße', '😀', 'dc\udc80',
  'a\nb', '.*', '.hidden', 'x[1]', 'a b', 'x[0-9]', '[!]', '[]', '[!a-]', '*a*b*', '**/**/c', 'a/*/c', 'a*', 'x*',
];

const PREFIXED = [
  'fm:a', 'sh:a', 'pp:a', 'pf:a', 're:a', 'zz:a', '12:30', 'éé:x', 'a:b', 'ab:', 'ab:c', 'FM:a', 're:', 'sh:', 'pp:',
  'pf:', 'fm:', 're:^a/b$', 're:(?i)STRASSE', 'sh:**/b', 'fm:*/b', 'pp:/a/', 'pf:/a/b/', 're:\\.txt$', 'fm:fm:a',
  'sh:re:x', ':ab:', 'a:', 'ab', 'xx:', '٣٣:x', 'a\u0301:x', 're:(', 're:[z-a]', 'sh:[z-a]', 'fm:[z-a]',
];

interface Case { text: string; style: PatternStyle; paths: string[] }
type Outcome = { error: string; message: string } | { pattern: string; str: string; matches: boolean[] };

const ORACLE = String.raw`
import json, sys, warnings
from borg.patterns import parse_pattern, get_pattern_class
warnings.simplefilter('ignore')  # "Possible nested set" for classes such as [[]
out = []
for case in json.load(sys.stdin):
    try:
        p = parse_pattern(case['text'], get_pattern_class(case['style']))
        out.append({'pattern': p.pattern, 'str': str(p), 'matches': [p.match(x) for x in case['paths']]})
    except Exception as e:
        out.append({'error': type(e).__name__, 'message': str(e)})
print(json.dumps(out))
`;

/** A small deterministic generator, so a failing fuzz case is reproducible. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const GLOB_CHARS = ['a', 'b', 'z', '/', '*', '*', '?', '[', ']', '!', '-', '^', '\\', '.'];
const GLOB_PATHS = ['a', 'b', 'ab', 'a/b', 'b/a', 'a/b/c', '-', '!', '^', '\\', '[', ']', 'z', 'az', 'a-b', ']a', '.', 'a.b', 'zz/a'];

function fuzzGlobs(): Case[] {
  const next = random(1234);
  const cases: Case[] = [];
  for (let n = 0; n < 1500; n++) {
    let text = '';
    const length = 1 + Math.floor(next() * 7);
    for (let k = 0; k < length; k++) text += GLOB_CHARS[Math.floor(next() * GLOB_CHARS.length)];
    cases.push({ text, style: n % 2 === 0 ? 'fm' : 'sh', paths: GLOB_PATHS });
  }
  return cases;
}

function ours(c: Case): Outcome {
  try {
    const p = parsePattern(c.text, c.style);
    return { pattern: p.pattern, str: String(p), matches: c.paths.map((path) => p.match(path)) };
  } catch (error) {
    if (error instanceof UnknownPatternStyle) return { error: 'ValueError', message: `Unknown pattern style: ${error.style}` };
    if (error instanceof InvalidRegex) return { error: 'error', message: error.reason };
    throw error;
  }
}

const TABLE: Case[] = [
  ...TEXTS.flatMap((text) => (['fm', 'sh', 'pp', 'pf', 're'] as const)
    .filter((style) => style !== 're' || !/[[*?]/.test(text)).map((style) => ({ text, style, paths: PATHS }))),
  ...PREFIXED.map((text) => ({ text, style: 'fm' as const, paths: PATHS })),
];
const FUZZ = fuzzGlobs();
const expected = python<Outcome[]>(ORACLE, [...TABLE, ...FUZZ]);

function compare(cases: Case[], offset: number): string[] {
  const problems: string[] = [];
  cases.forEach((c, k) => {
    const want = expected[offset + k]!;
    const got = ours(c);
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      problems.push(`${c.style} ${JSON.stringify(c.text)}: borg ${JSON.stringify(want)} ours ${JSON.stringify(got)}`);
    }
  });
  return problems;
}

describe('patterns: styles compared with borg 1.2.4', () => {
  it(`parsePattern() agrees with borg on ${TABLE.length} (pattern, default style) pairs`, () => {
    assert.deepEqual(compare(TABLE, 0), []);
  });

  it(`fm: and sh: agree with borg on ${FUZZ.length} random globs`, () => {
    assert.deepEqual(compare(FUZZ, TABLE.length), []);
  });

  it('parsePattern() reports the style and recurseDir it was given', () => {
    assert.equal(parsePattern('pf:/a/b/').style, 'pf');
    assert.ok(parsePattern('pf:/a/b/') instanceof PathFullPattern);
    assert.ok(parsePattern('x', 'pp') instanceof PathPrefixPattern);
    assert.equal(parsePattern('x', 'sh', { recurseDir: false }).recurseDir, false);
    assert.equal(parsePattern('x').recurseDir, true);
  });

  it('Pattern.match() counts hits for the "never matched" warning', () => {
    const p = parsePattern('a', 'pp');
    p.match('a/b');
    p.match('b');
    p.match('a');
    assert.equal(p.matchCount, 2);
  });

  it('parsePattern() refuses an unknown style prefix with UnknownPatternStyle', () => {
    assert.throws(() => parsePattern('zz:x'), UnknownPatternStyle);
    assert.throws(() => parsePattern('12:30'), /Cannot use pattern style "12"/);
  });
});
