// `borg-ts break-lock` through the built program: the repository lock and the cache lock left by
// a process on another machine are removed, after which real borg gets the repository again.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';

import { IniFile } from '../../src/repository/ini.js';
import { assertExit, assertOneLineError, Sandbox, treeDigest } from '../interop/tools.js';

/** A lock as borg leaves it when its process dies on another host (so it is never taken as stale). */
function plantLock(path: string): void {
  mkdirSync(`${path}.exclusive`, { recursive: true });
  writeFileSync(`${path}.exclusive/otherhost@12345.999-0`, '');
  writeFileSync(`${path}.roster`, '{"exclusive": [["otherhost@12345", 999, 0]]}');
}

describe('borg-ts break-lock', () => {
  let box: Sandbox;
  before(() => {
    box = new Sandbox();
    assertExit(box.borgTs(['init', '-e', 'none', 'repo']), 0, 'init');
  });
  after(() => box.cleanup());

  it('removes the repository lock and the cache lock', () => {
    const id = IniFile.parse(readFileSync(box.path('repo/config'), 'utf8')).get('repository', 'id')!;
    const cacheLock = box.path('base/.cache/borg', id, 'lock');
    plantLock(box.path('repo/lock'));
    plantLock(cacheLock);
    const env = { env: box.with({ BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes' }) };
    assert.equal(box.borg(['list', '--lock-wait', '0', 'repo'], env).code, 2, 'borg sees the lock');
    const r = box.borgTs(['break-lock', 'repo']);
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, '', '']);
    for (const path of [box.path('repo/lock'), cacheLock]) {
      assert.ok(!existsSync(`${path}.exclusive`) && !existsSync(`${path}.roster`), path);
    }
    assertExit(box.borg(['list', '--lock-wait', '0', 'repo'], env), 0, 'borg after break-lock');
  });

  it('succeeds when nothing is locked and fails with one line for a non-repository', () => {
    assertExit(box.borgTs(['break-lock', 'repo']), 0, 'break-lock without locks');
    mkdirSync(box.path('plain-dir'));
    const before = treeDigest(box.dir);
    assertOneLineError(box.borgTs(['break-lock', 'plain-dir']), /not a valid borg repository/);
    assertOneLineError(box.borgTs(['break-lock', 'missing']), /does not exist/);
    assert.equal(treeDigest(box.dir), before);
  });
});
