// `borg-ts init` through the built program: every encryption mode, the options, the advice printed
// afterwards, and borg's refusals — each a one-line error with exit code 2 that leaves the disk as
// it was.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';

import { KEY_MODES } from '../../src/crypto/index.js';
import { IniFile } from '../../src/repository/ini.js';
import { assertExit, assertOneLineError, Sandbox, treeDigest } from '../interop/tools.js';

function repositoryConfig(path: string): IniFile {
  return IniFile.parse(readFileSync(`${path}/config`, 'utf8'));
}

describe('borg-ts init', () => {
  let box: Sandbox;
  before(() => {
    box = new Sandbox();
  });
  after(() => box.cleanup());

  it('creates a repository in every encryption mode, keeping the key where the mode says', () => {
    for (const mode of KEY_MODES) {
      const r = box.borgTs(['init', '-e', mode, `repo-${mode}`]);
      assertExit(r, 0, `init -e ${mode}`);
      assert.equal(r.stdout, '');
      const config = repositoryConfig(box.path(`repo-${mode}`));
      const id = config.get('repository', 'id')!;
      assert.match(id, /^[0-9a-f]{64}$/);
      const keyInConfig = config.get('repository', 'key') !== undefined;
      assert.equal(keyInConfig, mode.startsWith('repokey') || mode.startsWith('authenticated'), `${mode}: key in config`);
      const keyFile = box.path('base/.config/borg/keys', `repo_${mode.replace('-', '_')}`);
      assert.equal(existsSync(keyFile), mode.startsWith('keyfile'), `${mode}: key file`);
      if (mode.startsWith('keyfile')) assert.ok(readFileSync(keyFile, 'utf8').startsWith(`BORG_KEY ${id}\n`));
      // The advice about key and passphrase, for every mode that has a key.
      if (mode === 'none') assert.equal(r.stderr, '');
      else assert.match(r.stderr, /IMPORTANT: .*key AND .*passphrase/s);
      if (mode !== 'none') assert.match(r.stderr, /borg-ts key export/);
    }
  });

  it('tells where the key file is (with --info)', () => {
    const r = box.borgTs(['init', '--info', '-e', 'keyfile', 'repo-info']);
    assertExit(r, 0, 'init --info');
    assert.match(r.stderr, /^Initializing repository at ".*repo-info"$/m);
    assert.ok(r.stderr.includes(`Key in "${box.path('base/.config/borg/keys/repo_info')}" created.`), r.stderr);
  });

  it('writes --append-only and --storage-quota into the config; creates parents with --make-parent-dirs', () => {
    assertExit(box.borgTs(['init', '-e', 'none', '--append-only', '--storage-quota', '1.5G', '--make-parent-dirs', 'a/b/repo']), 0, 'init');
    const config = repositoryConfig(box.path('a/b/repo'));
    assert.equal(config.get('repository', 'append_only'), '1');
    assert.equal(config.get('repository', 'storage_quota'), '1500000000');
  });

  it('refuses bad usage before touching the disk', () => {
    const before = treeDigest(box.dir);
    assertOneLineError(box.borgTs(['init', 'repo-x']), /^borg-ts init: error: .*-e\/--encryption.* required/);
    assertOneLineError(box.borgTs(['init', '-e', 'blowfish', 'repo-x']), /argument 'blowfish' is invalid/);
    assertOneLineError(box.borgTs(['init', '-e', 'none', '--storage-quota', '9M', 'repo-x']), /quota is too small \(9M\)/);
    assertOneLineError(box.borgTs(['init', '-e', 'none', '--storage-quota', 'lots', 'repo-x']), /invalid size/);
    assertOneLineError(box.borgTs(['init', '-e', 'none', 'repo-x::archive']), /No archive can be specified/);
    assert.equal(treeDigest(box.dir), before);
  });

  it('refuses an existing repository, a non-empty directory, a repository inside one and a missing parent', () => {
    mkdirSync(box.path('full'));
    writeFileSync(box.path('full/file'), 'x');
    writeFileSync(box.path('plain-file'), 'x');
    const before = treeDigest(box.dir);
    const cases: Array<[string, RegExp]> = [
      ['repo-none', /already one at .*repo-none$/],
      ['repo-none/inner', /already one at .*repo-none$/],
      ['repo-none/data/deeper', /already one at .*repo-none$/],
      ['full', /at .*full: something else is already there/],
      ['plain-file', /something else is already there/],
      ['missing/repo', /parent directory does not exist/],
    ];
    for (const [target, pattern] of cases) assertOneLineError(box.borgTs(['init', '-e', 'repokey', target]), pattern, target);
    assert.equal(treeDigest(box.dir), before);
  });

  it('uses an empty directory', () => {
    mkdirSync(box.path('empty'));
    assertExit(box.borgTs(['init', '-e', 'authenticated', 'empty']), 0, 'init into an empty directory');
    assert.ok(readdirSync(box.path('empty')).includes('config'));
  });
});
