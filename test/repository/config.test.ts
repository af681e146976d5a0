// The repository config: configparser syntax, borg's size and boolean parsing, and rewriting a
// config the way borg does (byte-identical for the files borg wrote, no config.old left behind).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readConfig, repositorySettings, saveConfig, SECTION } from '../../src/repository/config.js';
import { InvalidRepositoryConfig } from '../../src/repository/errors.js';
import { IniFile, parseFileSize, parseIniBoolean, parseIniInt } from '../../src/repository/ini.js';
import { FIXTURES, copyVectorRepo, makeTempDir, removeTemp, runBorgPython } from './repo-fixtures.js';

test('IniFile round-trips configs written by borg byte for byte', () => {
  for (const name of ['repo-none', 'repo-repokey', 'repo-extra']) {
    const text = readFileSync(join(FIXTURES, name, 'config'), 'utf8');
    assert.equal(IniFile.parse(text).toString(), text);
  }
});

test('IniFile joins continuation lines like configparser', () => {
  const ini = IniFile.parse('[repository]\nKey = a\n\tb\n\n  c\nother: 1 \n# comment\n; comment\n');
  assert.equal(ini.get(SECTION, 'key'), 'a\nb\n\nc');
  assert.equal(ini.get(SECTION, 'other'), '1');
  assert.throws(() => IniFile.parse('[a]\nx=1\nx=2\n'), SyntaxError);
  assert.throws(() => IniFile.parse('x=1\n'), SyntaxError);
});

test('IniFile key values match what Python configparser reads', () => {
  const text = readFileSync(join(FIXTURES, 'repo-repokey', 'config'), 'utf8');
  const py = runBorgPython(
    `import configparser; c=configparser.ConfigParser(interpolation=None); c.read('${join(FIXTURES, 'repo-repokey', 'config')}'); print(c.get('repository','key'), end='')`,
  );
  assert.equal(py.status, 0, py.stderr);
  assert.equal(IniFile.parse(text).get(SECTION, 'key'), py.stdout);
});

test('parseFileSize, booleans and ints follow borg and configparser', () => {
  assert.equal(parseFileSize('524288000'), 524288000);
  assert.equal(parseFileSize('1.5G'), 1_500_000_000);
  assert.equal(parseFileSize('10M'), 10_000_000);
  assert.equal(parseFileSize('0'), 0);
  assert.equal(parseFileSize('2K'), 2000);
  assert.throws(() => parseFileSize(''));
  assert.throws(() => parseFileSize('12X'));
  assert.equal(parseIniBoolean('Yes'), true);
  assert.equal(parseIniBoolean('off'), false);
  assert.throws(() => parseIniBoolean('2'));
  assert.equal(parseIniInt(' 1_000 '), 1000);
  assert.throws(() => parseIniInt('1.0'));
});

test('repositorySettings validates version and max_segment_size', () => {
  const base = readFileSync(join(FIXTURES, 'repo-none', 'config'), 'utf8');
  const s = repositorySettings('/r', IniFile.parse(base));
  assert.equal(s.maxSegmentSize, 524288000);
  assert.equal(s.segmentsPerDir, 1000);
  assert.equal(s.appendOnly, false);
  assert.equal(s.id.length, 32);
  assert.throws(() => repositorySettings('/r', IniFile.parse(base.replace('version = 1', 'version = 2'))), InvalidRepositoryConfig);
  assert.throws(() => repositorySettings('/r', IniFile.parse(base.replace('524288000', '5G'))), InvalidRepositoryConfig);
  assert.throws(() => repositorySettings('/r', IniFile.parse('[other]\nx = 1\n')), InvalidRepositoryConfig);
});

test('saveConfig rewrites atomically and leaves no config.old', () => {
  const tmp = makeTempDir();
  try {
    const repo = copyVectorRepo('repo-repokey', tmp);
    const before = readFileSync(join(repo, 'config'), 'utf8');
    const ini = readConfig(repo);
    saveConfig(repo, ini, 0o600);
    assert.equal(readFileSync(join(repo, 'config'), 'utf8'), before);
    assert.equal(existsSync(join(repo, 'config.old')), false);
    assert.equal(statSync(join(repo, 'config')).mode & 0o777, 0o600);
    // A config.old left by an interrupted save is erased by the next save.
    writeFileSync(join(repo, 'config.old'), 'stale key material');
    ini.set(SECTION, 'append_only', '1');
    saveConfig(repo, ini, 0o600);
    assert.equal(existsSync(join(repo, 'config.old')), false);
    assert.equal(repositorySettings(repo, readConfig(repo)).appendOnly, true);
  } finally {
    removeTemp(tmp);
  }
});
