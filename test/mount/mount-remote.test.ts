// `borg-ts mount` of a repository over ssh (a real sshd on 127.0.0.1 and real `borg serve`): the
// mounted archive has the same bytes and listing as the source tree, and umount ends the remote
// session (the repository is not left locked).
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { SshServer } from '../helpers/sshd.js';
import { pseudoRandom } from '../helpers/tree-compare.js';
import { makeTempDir, removeTemp } from '../repository/repo-fixtures.js';
import { borg, borgTs, checksums, isMounted, ok, sh, unmountAll, type Env } from './mount-helpers.js';

describe('borg-ts mount over ssh', { timeout: 180_000 }, () => {
  let work: string;
  let sshd: SshServer;
  let url: string;
  let env: Env;
  const mnt = () => join(work, 'mnt');

  before(async () => {
    work = makeTempDir();
    sshd = await SshServer.start();
    url = sshd.url(join(work, 'repo'));
    env = { ...process.env, BORG_BASE_DIR: join(work, 'base'), BORG_PASSPHRASE: 'remote mount', BORG_RSH: sshd.client.rsh };
    for (const k of Object.keys(env)) if (k.startsWith('BORG_') && !['BORG_BASE_DIR', 'BORG_PASSPHRASE', 'BORG_RSH'].includes(k)) delete env[k];
    mkdirSync(join(work, 'data', 'deep', 'er'), { recursive: true });
    writeFileSync(join(work, 'data', 'deep', 'er', 'big.bin'), pseudoRandom('remote-mount', 3_000_000));
    writeFileSync(join(work, 'data', 'note.txt'), 'over ssh\n');
    symlinkSync('note.txt', join(work, 'data', 'link'));
    mkdirSync(mnt());
    ok(borg(['init', '-e', 'repokey-blake2', url], work, env), 'borg init');
    ok(borg(['create', `${url}::one`, 'data'], work, env), 'borg create');
  });

  after(async () => {
    unmountAll([mnt()]);
    await sshd.stop();
    removeTemp(work);
  });

  it('shows the archive with the bytes of the source tree and releases the lock on umount', () => {
    ok(borgTs(['mount', `${url}::one`, mnt()], work, env), 'borg-ts mount');
    try {
      assert.ok(isMounted(mnt()), 'mounted');
      assert.deepEqual(checksums(join(mnt(), 'data'), work), checksums(join(work, 'data'), work));
      assert.equal(ok(sh('readlink', [join(mnt(), 'data', 'link')], work), 'readlink').stdout.trim(), 'note.txt');
    } finally {
      ok(borgTs(['umount', mnt()], work, env), 'borg-ts umount');
    }
    assert.ok(!isMounted(mnt()), 'unmounted');
    // The remote session ended with the mount: an exclusive operation gets the lock at once.
    ok(borg(['create', '--lock-wait', '5', `${url}::two`, 'data'], work, env), 'borg create after umount');
  });
});
