// Archive selection (--glob-archives, --prefix, --sort-by, --first/--last, checkpoints) and the
// small renderers list/info/diff share: ls-style modes, local timestamps, shell quoting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { archiveGlobRegExp, hasArchiveFilter, parseSortKeys, selectArchives } from '../../src/archive/archive-selection.js';
import { checkArchiveName } from '../../src/archive/archive-name.js';
import { formatCommandLine, removeSurrogates, shellQuote } from '../../src/archive/display-text.js';
import { fileMode } from '../../src/archive/file-mode.js';
import { OutputTimestamp } from '../../src/archive/output-timestamp.js';
import type { ArchiveEntry } from '../../src/archive/manifest.js';
import { decodeFsBytes } from '../../src/format/surrogate-escape.js';

function entry(name: string, time: string, idByte: number): ArchiveEntry {
  return { name, time, id: Buffer.alloc(32, idByte) };
}

// Manifest order is by name; times deliberately disagree with it.
const ARCHIVES = [
  entry('daily-1', '2024-01-03T00:00:00.000000', 3),
  entry('daily-2', '2024-01-01T00:00:00.000000', 1),
  entry('daily-2.checkpoint', '2024-01-04T00:00:00.000000', 4),
  entry('weekly-1', '2024-01-02T00:00:00.000000', 2),
  entry('weekly-1.checkpoint.3', '2024-01-05T00:00:00.000000', 5),
];
const names = (list: ArchiveEntry[]) => list.map((a) => a.name);

test('selectArchives() sorts by start time and hides checkpoints by default', () => {
  assert.deepEqual(names(selectArchives(ARCHIVES)), ['daily-2', 'weekly-1', 'daily-1']);
  assert.deepEqual(names(selectArchives(ARCHIVES, { considerCheckpoints: true })),
    ['daily-2', 'weekly-1', 'daily-1', 'daily-2.checkpoint', 'weekly-1.checkpoint.3']);
});

test('selectArchives() applies glob, prefix, sort keys, first, last and reverse', () => {
  assert.deepEqual(names(selectArchives(ARCHIVES, { glob: 'daily-*' })), ['daily-2', 'daily-1']);
  assert.deepEqual(names(selectArchives(ARCHIVES, { prefix: 'week' })), ['weekly-1']);
  assert.deepEqual(names(selectArchives(ARCHIVES, { sortBy: ['name'] })), ['daily-1', 'daily-2', 'weekly-1']);
  assert.deepEqual(names(selectArchives(ARCHIVES, { sortBy: ['id'], first: 2 })), ['daily-2', 'weekly-1']);
  assert.deepEqual(names(selectArchives(ARCHIVES, { last: 2 })), ['weekly-1', 'daily-1']);
  assert.deepEqual(names(selectArchives(ARCHIVES, { last: 9 })), ['daily-2', 'weekly-1', 'daily-1']);
  assert.deepEqual(names(selectArchives(ARCHIVES, { glob: 'daily-*', includeCheckpointSuffix: true, considerCheckpoints: true, reverse: true })),
    ['daily-2.checkpoint', 'daily-1', 'daily-2']);
});

test('archive globs are shell patterns over the whole name', () => {
  const re = archiveGlobRegExp('host-?-[0-9]*');
  assert.ok(re.test('host-a-2024'));
  assert.ok(!re.test('host-ab-2024'));
  assert.ok(!re.test('xhost-a-2024'));
  assert.ok(archiveGlobRegExp('a*', true).test('abc.checkpoint.12'));
  assert.ok(!archiveGlobRegExp('a', false).test('a.checkpoint'));
  assert.ok(archiveGlobRegExp('*').test('any name at all'));
});

test('parseSortKeys() and hasArchiveFilter() follow borg', () => {
  assert.deepEqual(parseSortKeys('timestamp,name'), ['timestamp', 'name']);
  assert.throws(() => parseSortKeys('ts'), /Invalid sort key: ts/);
  assert.equal(hasArchiveFilter({ sortBy: ['name'] }), false);
  assert.equal(hasArchiveFilter({ prefix: '' }), true);
  assert.equal(hasArchiveFilter({ last: 1 }), true);
});

test('checkArchiveName() refuses what borg refuses and names over 255 bytes', () => {
  assert.equal(checkArchiveName('ok-name'), 'ok-name');
  for (const bad of ['', 'a/b', 'a::b', 'é'.repeat(128)]) assert.throws(() => checkArchiveName(bad), { code: 'InvalidArchiveName' });
});

test('fileMode() renders like Python stat.filemode', () => {
  assert.equal(fileMode(0o100644), '-rw-r--r--');
  assert.equal(fileMode(0o040755), 'drwxr-xr-x');
  assert.equal(fileMode(0o120777), 'lrwxrwxrwx');
  assert.equal(fileMode(0o104755), '-rwsr-xr-x');
  assert.equal(fileMode(0o102644), '-rw-r-Sr--');
  assert.equal(fileMode(0o041777), 'drwxrwxrwt');
  assert.equal(fileMode(0o041776), 'drwxrwxrwT');
  assert.equal(fileMode(0o010600), 'prw-------');
  assert.equal(fileMode(0o020600), 'crw-------');
  assert.equal(fileMode(0o060600), 'brw-------');
  assert.equal(fileMode(0), '?---------');
});

test('OutputTimestamp renders archive and item times like borg (TZ of the process)', () => {
  const archive = OutputTimestamp.fromUtcIso('2024-01-02T03:04:05.987654');
  const offset = -new Date('2024-01-02T03:04:05Z').getTimezoneOffset() * 60_000;
  const local = new Date(Date.parse('2024-01-02T03:04:05Z') + offset).toISOString();
  // Archive times lose their microseconds (time.localtime), item times round them half to even.
  assert.equal(archive.isoformat(), `${local.slice(0, 19)}.000000`);
  assert.equal(JSON.stringify({ t: archive }), `{"t":"${local.slice(0, 19)}.000000"}`);
  assert.equal(archive.formatSpec('%Y'), local.slice(0, 4));
  const item = OutputTimestamp.fromNs(1704164645_123456789n);
  assert.equal(item.isoformat(), `${local.slice(0, 11)}${new Date(Date.parse('2024-01-02T03:04:05Z') + offset).toISOString().slice(11, 19)}.123457`);
  assert.match(String(item), /^[A-Z][a-z]{2}, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  assert.equal(OutputTimestamp.fromNs(-5n).isoformat(), OutputTimestamp.fromNs(0n).isoformat());
  // Times are broken down and rendered once per second: alternating seconds and fractions give
  // each their own text and fraction.
  const a = OutputTimestamp.fromNs(1704164645_100000000n);
  const b = OutputTimestamp.fromNs(1704164646_200000000n);
  const a2 = OutputTimestamp.fromNs(1704164645_900000000n);
  assert.equal(String(a), String(item));
  assert.notEqual(String(b), String(a));
  assert.equal(String(a2), String(a));
  assert.deepEqual([a.isoformat().slice(-7), b.isoformat().slice(-7), a2.isoformat().slice(-7)], ['.100000', '.200000', '.900000']);
  assert.equal(b.isoformat().slice(0, 19), new Date(Date.parse('2024-01-02T03:04:06Z') + offset).toISOString().slice(0, 19));
});

test('display text: undecodable bytes become "?", command lines are shell-quoted', () => {
  assert.equal(removeSurrogates(decodeFsBytes(Buffer.from([0x61, 0xff, 0x62]))), 'a?b');
  assert.equal(removeSurrogates('ok 😀'), 'ok 😀');
  assert.equal(shellQuote(''), "''");
  assert.equal(shellQuote('repo::a-1'), 'repo::a-1');
  assert.equal(shellQuote("it's"), `'it'"'"'s'`);
  assert.equal(formatCommandLine(['borg', 'create', '--comment', 'a b']), "borg create --comment 'a b'");
});
