// `borg-ts key migrate-to-repokey` through the built program, on a repository of the passphrase mode
// removed in borg 1.0: the old passphrase unlocks the derived secrets, a new one protects the
// repokey, and both borg-ts and real borg open the repository afterwards.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';

import { IniFile } from '../../src/repository/ini.js';
import { createLegacyPassphraseRepository } from '../interop/legacy-repository.js';
import { assertExit, assertOneLineError, Sandbox, treeDigest } from '../interop/tools.js';

const OLD = 'the old passphrase';
const NEW = 'the new passphrase';

describe('borg-ts key migrate-to-repokey', () => {
  let box: Sandbox;
  before(async () => {
    box = new Sandbox();
    await createLegacyPassphraseRepository(box.path('legacy'), OLD);
    assertExit(box.borgTs(['init', '-e', 'repokey', 'modern']), 0, 'init');
  });
  after(() => box.cleanup());

  it('refuses a wrong passphrase and a repository of another mode, changing nothing', () => {
    const before = treeDigest(box.dir);
    assertOneLineError(box.borgTs(['key', 'migrate-to-repokey', 'legacy'], { env: box.with({ BORG_PASSPHRASE: 'wrong' }) }), /is incorrect$/);
    assertOneLineError(box.borgTs(['key', 'migrate-to-repokey', 'modern']), /^Cannot migrate .*modern to repokey: it uses the repokey mode, not the passphrase mode$/);
    assert.equal(treeDigest(box.dir), before);
  });

  it('stores a repokey protected by the new passphrase that borg-ts and borg accept', () => {
    const r = box.borgTs(['key', 'migrate-to-repokey', '--info', 'legacy'], { env: box.with({ BORG_PASSPHRASE: OLD, BORG_NEW_PASSPHRASE: NEW }) });
    assertExit(r, 0, 'migrate-to-repokey');
    assert.match(r.stderr, /^Key updated$/m);
    assert.ok(IniFile.parse(readFileSync(box.path('legacy/config'), 'utf8')).get('repository', 'key'));
    const withNew = { env: box.with({ BORG_PASSPHRASE: NEW, BORG_NEW_PASSPHRASE: NEW }) };
    assertExit(box.borgTs(['key', 'change-passphrase', 'legacy'], withNew), 0, 'borg-ts opens it');
    assertExit(box.borg(['list', 'legacy'], withNew), 0, 'borg opens it');
    assertOneLineError(box.borgTs(['key', 'change-passphrase', 'legacy'], { env: box.with({ BORG_PASSPHRASE: OLD }) }), /is incorrect$/);
  });
});
