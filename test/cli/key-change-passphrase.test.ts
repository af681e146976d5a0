// `borg-ts key change-passphrase` through the built program: the key is re-encrypted where it is
// kept (repository config or the same key file), only the new passphrase opens it afterwards, and
// a wrong passphrase or an unencrypted repository is a one-line error that changes nothing.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';

import { IniFile } from '../../src/repository/ini.js';
import { assertExit, assertOneLineError, Sandbox, treeDigest } from '../interop/tools.js';

const NEW = 'a new passphrase';

describe('borg-ts key change-passphrase', () => {
  let box: Sandbox;
  before(() => {
    box = new Sandbox({ BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes' });
    for (const mode of ['repokey-blake2', 'keyfile', 'authenticated', 'none']) assertExit(box.borgTs(['init', '-e', mode, mode]), 0, `init ${mode}`);
  });
  after(() => box.cleanup());

  const keyOf = (name: string) => IniFile.parse(readFileSync(box.path(name, 'config'), 'utf8')).get('repository', 'key');

  it('re-encrypts a repokey in the repository config', () => {
    const old = keyOf('repokey-blake2');
    const r = box.borgTs(['key', 'change-passphrase', '--info', 'repokey-blake2'], { env: box.with({ BORG_NEW_PASSPHRASE: NEW }) });
    assertExit(r, 0, 'change-passphrase');
    assert.match(r.stderr, /^Key updated$/m);
    assert.notEqual(keyOf('repokey-blake2'), old);
    // Only the new passphrase opens the key now (export needs none, so re-encrypt once more to test).
    assertOneLineError(box.borgTs(['key', 'change-passphrase', 'repokey-blake2']), /passphrase from BORG_PASSPHRASE.* is incorrect/);
    assertExit(box.borgTs(['key', 'change-passphrase', 'repokey-blake2'], { env: box.with({ BORG_PASSPHRASE: NEW }) }), 0, 'with the new passphrase');
  });

  it('rewrites the same key file of a keyfile repository', () => {
    const keys = box.path('base/.config/borg/keys');
    const before = readFileSync(`${keys}/keyfile`, 'utf8');
    const config = readFileSync(box.path('keyfile/config'), 'utf8');
    const r = box.borgTs(['key', 'change-passphrase', '--info', 'keyfile'], { env: box.with({ BORG_NEW_PASSPHRASE: NEW }) });
    assertExit(r, 0, 'change-passphrase');
    assert.ok(r.stderr.includes(`Key location: ${keys}/keyfile`), r.stderr);
    assert.deepEqual(readdirSync(keys).sort(), ['keyfile']);
    const after = readFileSync(`${keys}/keyfile`, 'utf8');
    assert.notEqual(after, before);
    assert.equal(after.split('\n')[0], before.split('\n')[0]);
    assert.equal(readFileSync(box.path('keyfile/config'), 'utf8'), config);
  });

  it('also protects the key of an authenticated repository', () => {
    const old = keyOf('authenticated');
    assertExit(box.borgTs(['key', 'change-passphrase', 'authenticated'], { env: box.with({ BORG_NEW_PASSPHRASE: NEW }) }), 0, 'change-passphrase');
    assert.notEqual(keyOf('authenticated'), old);
  });

  it('changes nothing for a wrong passphrase, a missing key file or an unencrypted repository', () => {
    mkdirSync(box.path('empty-keys-dir'));
    const before = treeDigest(box.dir);
    const env = (changes: Record<string, string>) => ({ env: box.with({ BORG_NEW_PASSPHRASE: 'x', ...changes }) });
    assertOneLineError(box.borgTs(['key', 'change-passphrase', 'keyfile'], env({ BORG_PASSPHRASE: 'wrong' })), /is incorrect$/);
    assertOneLineError(box.borgTs(['key', 'change-passphrase', 'keyfile'], env({ BORG_KEYS_DIR: box.path('empty-keys-dir') })), /^Cannot find a key file for repository .*keyfile in .*empty-keys-dir$/);
    assertOneLineError(box.borgTs(['key', 'change-passphrase', 'none'], env({})), /unencrypted repository/);
    assert.equal(treeDigest(box.dir), before);
  });
});
