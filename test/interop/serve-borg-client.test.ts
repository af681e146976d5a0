// The real borg 1.2.4 client against `borg-ts serve`, over a real sshd on 127.0.0.1: borg does every
// step (init, create ×2, list, info, extract, prune, compact, check --verify-data) through our server,
// and afterwards borg-ts and borg both check the repository locally. Every serve process must have
// released the repository lock when its client is done.
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { SshServer } from '../helpers/sshd.js';
import { buildSampleTree, diffTrees, pseudoRandom } from '../helpers/tree-compare.js';
import { assertExit, BIN, Sandbox } from './tools.js';

/** The remote command for borg's --remote-path: the remote shell splits it. */
const REMOTE_PATH = `${process.execPath} ${BIN}`;

function assertUnlocked(repo: string): void {
  assert.equal(existsSync(`${repo}/lock.exclusive`), false, 'repository lock left behind');
  assert.equal(existsSync(`${repo}/lock.roster`), false, 'lock roster left behind');
}

describe('real borg client → borg-ts serve over ssh', () => {
  let sshd: SshServer;
  let box: Sandbox;

  before(async () => {
    sshd = await SshServer.start();
    box = new Sandbox({ TZ: 'UTC', BORG_RSH: '', BORG_REMOTE_PATH: REMOTE_PATH });
    box.env['BORG_RSH'] = sshd.client.rsh;
    buildSampleTree(box.path('tree'));
  });
  after(async () => {
    await sshd?.stop();
    box?.cleanup();
  });

  it('repokey-blake2: init, create ×2, list, info, extract, prune, compact, check --verify-data', () => {
    const repo = box.path('repo-repokey');
    const url = sshd.url(repo);
    assertExit(box.borg(['init', '-e', 'repokey-blake2', url]), 0, 'borg init');
    assertUnlocked(repo);
    assertExit(box.borg(['create', `${url}::one`, 'tree']), 0, 'borg create one');
    appendFileSync(box.path('tree', 'appended.bin'), pseudoRandom('second backup', 300_000));
    const second = box.borg(['create', '--stats', `${url}::two`, 'tree']);
    assertExit(second, 0, 'borg create two');
    assertUnlocked(repo);

    const list = box.borg(['list', '--short', url]);
    assertExit(list, 0, 'borg list');
    assert.deepEqual(list.stdout.split('\n').filter(Boolean), ['one', 'two']);
    const info = box.borg(['info', `${url}::two`]);
    assertExit(info, 0, 'borg info');
    assert.match(info.stdout, /^Archive name: two$/m);
    assert.match(info.stdout, /^Number of files: \d+$/m);

    mkdirSync(box.path('out'));
    assertExit(box.borg(['extract', `${url}::two`], { cwd: box.path('out') }), 0, 'borg extract');
    const problems = diffTrees(box.path('tree'), box.path('out', 'tree'), { root: true, ignore: ['atimeNs', 'blocks'] });
    assert.deepEqual(problems, []);

    assertExit(box.borg(['prune', '--keep-last', '1', url]), 0, 'borg prune');
    assert.deepEqual(box.borg(['list', '--short', url]).stdout.split('\n').filter(Boolean), ['two']);
    assertExit(box.borg(['compact', url]), 0, 'borg compact');
    const check = box.borg(['check', '-v', '--verify-data', url]);
    assertExit(check, 0, 'borg check --verify-data');
    assert.match(check.stderr, /Remote: Starting repository check/);
    assertUnlocked(repo);

    // The server's work, judged locally by both programs (a fresh client: the key is in the repository).
    const local = box.with({ BORG_BASE_DIR: box.path('base-local'), BORG_RSH: undefined });
    assertExit(box.borgTs(['check', '--verify-data', repo], { env: local }), 0, 'borg-ts check (local)');
    assertExit(box.borg(['check', '--verify-data', repo], { env: local }), 0, 'borg check (local)');
  });

  it('keyfile: init, create, extract, check --verify-data; both programs check locally', () => {
    const repo = box.path('repo-keyfile');
    const url = sshd.url(repo);
    assertExit(box.borg(['init', '-e', 'keyfile', url]), 0, 'borg init');
    assertExit(box.borg(['create', `${url}::one`, 'tree']), 0, 'borg create');
    mkdirSync(box.path('out-keyfile'));
    assertExit(box.borg(['extract', `${url}::one`], { cwd: box.path('out-keyfile') }), 0, 'borg extract');
    assert.deepEqual(diffTrees(box.path('tree'), box.path('out-keyfile', 'tree'), { root: true, ignore: ['atimeNs', 'blocks'] }), []);
    assertExit(box.borg(['check', '--verify-data', url]), 0, 'borg check --verify-data');
    assertUnlocked(repo);
    // The key file is on the client: the local checks use the client's keys (the location differs).
    const local = box.with({ BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes' });
    assertExit(box.borgTs(['check', '--verify-data', repo], { env: local }), 0, 'borg-ts check (local)');
    assertExit(box.borg(['check', '--verify-data', repo], { env: local }), 0, 'borg check (local)');
  });
});
