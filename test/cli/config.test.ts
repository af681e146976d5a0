// `borg-ts config` through the built program: reading, setting, deleting and listing repository
// settings with borg's rules, the cache config with --cache, and one-line errors that leave the
// repository as it was (invalid names and values, corrupt config, no repository).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';

import { IniFile } from '../../src/repository/ini.js';
import { assertExit, assertOneLineError, Sandbox, treeDigest } from '../interop/tools.js';

describe('borg-ts config', () => {
  let box: Sandbox;
  let id: string;
  before(() => {
    box = new Sandbox();
    assertExit(box.borgTs(['init', '-e', 'repokey', 'repo']), 0, 'init');
    id = IniFile.parse(readFileSync(box.path('repo/config'), 'utf8')).get('repository', 'id')!;
  });
  after(() => box.cleanup());

  const get = (...args: string[]) => {
    const r = box.borgTs(['config', 'repo', ...args]);
    assertExit(r, 0, `config ${args.join(' ')}`);
    return r.stdout;
  };

  it('reads and changes repository settings', () => {
    assert.equal(get('append_only'), '0\n');
    assert.equal(get('repository.id'), `${id}\n`);
    assert.match(get('key'), /^hqlhbGdvcml0aG2mc2hhMjU2/);
    assert.equal(get('append_only', '1'), '');
    assert.equal(get('repository.append_only'), '1\n');
    assert.equal(get('storage_quota', '1.5G'), '');
    assert.equal(get('additional_free_space', '2G'), '');
    assert.equal(get('segments_per_dir', '2000'), '');
    const config = IniFile.parse(readFileSync(box.path('repo/config'), 'utf8'));
    assert.deepEqual(['append_only', 'storage_quota', 'additional_free_space', 'segments_per_dir'].map((k) => config.get('repository', k)), ['1', '1.5G', '2G', '2000']);
    assert.ok(config.get('repository', 'key'), 'the key survives a rewrite');
  });

  it('lists the settings, with defaults for deleted ones', () => {
    assert.equal(get('-d', 'additional_free_space'), '');
    assert.equal(get('--list'), [
      '[repository]', 'version = 1', 'segments_per_dir = 2000', 'max_segment_size = 524288000', 'storage_quota = 1.5G',
      'additional_free_space = 0', 'append_only = 1', `id = ${id}`, '',
    ].join('\n'));
  });

  it('warns (exit 1) about a missing option or section', () => {
    let r = box.borgTs(['config', 'repo', 'last_segment_checked']);
    assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', "No option 'last_segment_checked' in section: 'repository'\n"]);
    r = box.borgTs(['config', 'repo', 'cache.previous_location']);
    assert.deepEqual([r.code, r.stderr], [1, "No section: 'cache'\n"]);
  });

  it('refuses names and values borg refuses, with one line, changing nothing', () => {
    const before = treeDigest(box.dir);
    const cases: Array<[string[], RegExp]> = [
      [['append_only', '2'], /append_only: '2' is neither 0 nor 1/],
      [['append_only', 'yes'], /neither 0 nor 1/],
      [['storage_quota', '9M'], /below the minimum of 10M/],
      [['storage_quota', 'huge'], /is not a size/],
      [['max_segment_size', '5G'], /is not below 4273995776/],
      [['segments_per_dir', '1.5'], /is not an integer/],
      [['id', 'abcd'], /is not 64 hex digits/],
      [['key', 'x'], /repository\.key: it is not a setting that can be changed/],
      [['version', '2'], /repository\.version: it is not a setting/],
      [['nonsense', '1'], /it is not a setting/],
      [['cache.previous_location', '/x'], /only the \[repository\] section/],
      [['-d', 'key'], /not a setting/],
      [['-d', 'id'], /cannot be opened without it/],
      [[], /No config key name was provided/],
      [['--list', 'append_only'], /--list takes no NAME/],
      [['-d', 'append_only', '1'], /--delete takes no VALUE/],
      [['-d', '-l'], /cannot be used with/],
    ];
    for (const [args, pattern] of cases) assertOneLineError(box.borgTs(['config', 'repo', ...args]), pattern, `config ${args.join(' ')}`);
    assert.equal(treeDigest(box.dir), before);
  });

  it('names a corrupt config, a non-repository and a missing repository', () => {
    mkdirSync(box.path('broken/data'), { recursive: true });
    writeFileSync(box.path('broken/config'), '[repository]\nversion = 1\nsegments_per_dir = lots\n');
    mkdirSync(box.path('plain-dir'));
    const before = treeDigest(box.dir);
    assertOneLineError(box.borgTs(['config', 'broken', 'append_only']), /^Cannot use the configuration of repository .*broken: /);
    assertOneLineError(box.borgTs(['config', 'plain-dir', 'append_only']), /^Cannot use .*plain-dir as a repository: it is not a valid borg repository$/);
    assertOneLineError(box.borgTs(['config', 'missing', 'append_only']), /^Cannot open repository .*missing: it does not exist$/);
    assertOneLineError(box.borgTs(['config', 'ssh://host/repo', 'append_only']), /Repository must be local/);
    assert.equal(treeDigest(box.dir), before);
  });

  it('reads and sets previous_location in the cache config with --cache', () => {
    const cacheDir = box.path('base/.cache/borg', id);
    // init makes the cache, as borg's does: this checks what --cache says when it is gone.
    assert.ok(existsSync(`${cacheDir}/config`), 'init created the cache');
    rmSync(cacheDir, { recursive: true, force: true });
    const repoBefore = treeDigest(box.path('repo'));
    assertOneLineError(box.borgTs(['config', '--cache', 'repo', 'previous_location']), /there is no cache for it/);
    assert.equal(treeDigest(box.path('repo')), repoBefore);
    mkdirSync(cacheDir, { recursive: true });
    const repoPath = box.path('repo');
    writeFileSync(`${cacheDir}/config`, `[cache]\nversion = 1\nrepository = ${id}\nmanifest = \nprevious_location = ${repoPath}\n\n[integrity]\nmanifest = \n\n`);
    let r = box.borgTs(['config', '--cache', 'repo', 'previous_location']);
    assertExit(r, 0, 'config --cache get');
    assert.equal(r.stdout, `${repoPath}\n`);
    assertExit(box.borgTs(['config', '-c', 'repo', 'cache.previous_location', '/some/where/else']), 0, 'config --cache set');
    assert.match(readFileSync(`${cacheDir}/config`, 'utf8'), /^previous_location = \/some\/where\/else$/m);
    // The cache now remembers another location: borg-ts asks, like borg, whether that is fine.
    const relocated = { env: box.with({ BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes' }) };
    r = box.borgTs(['config', '-c', 'repo', 'manifest', 'x'], relocated);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cache\.manifest: it is not a setting that can be changed\n$/);
    r = box.borgTs(['config', '-c', '-l', 'repo'], relocated);
    assertExit(r, 0, 'config --cache --list');
    assert.match(r.stdout, /^\[cache\]\nversion = 1\nrepository = [0-9a-f]{64}\n/);
  });
});
