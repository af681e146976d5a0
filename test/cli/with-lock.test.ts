// `borg-ts with-lock`: while the command runs, real borg cannot get the repository; the command's
// exit status (also 256 - N after signal N, as borg reports it) becomes ours; its output passes
// through; the lock is gone afterwards and borg check is happy with the committed transaction.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';

import { Sandbox } from '../interop/tools.js';
import { borgBatch, runBorgTs } from './maintenance-tools.js';

describe('borg-ts with-lock', () => {
  const box = new Sandbox({ BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes' });
  const repo = box.path('repo');
  before(() => {
    const [init] = borgBatch([{ argv: ['init', '-e', 'none', repo] }], box.env, box.dir);
    assert.equal(init!.rc, 0, init!.stderr);
  });
  after(() => box.cleanup());

  it('holds the exclusive lock while the command runs and releases it afterwards', async () => {
    const running = runBorgTs(['with-lock', repo, 'sleep', '2'], box.env);
    for (let i = 0; i < 100 && !existsSync(`${repo}/lock.exclusive`); i++) await sleep(20);
    // Blocking here is fine: the lock is held by the sleeping child's parent, i.e. this process.
    const [blocked] = borgBatch([{ argv: ['create', '--lock-wait', '0', `${repo}::blocked`, 'repo/config'] }], box.env, box.dir);
    assert.equal(blocked!.rc, 2);
    assert.match(blocked!.stderr, /Failed to create\/acquire the lock/);
    assert.deepEqual(await running, { code: 0, stdout: '', stderr: '' });
    assert.ok(!existsSync(`${repo}/lock.exclusive`) && !existsSync(`${repo}/lock.roster`), 'lock released');
    const [create, check] = borgBatch([
      { argv: ['create', '--lock-wait', '0', `${repo}::after`, 'repo/config'] }, { argv: ['check', repo] },
    ], box.env, box.dir);
    assert.deepEqual([create!.rc, create!.stderr, check!.rc, check!.stderr], [0, '', 0, '']);
  });

  it('exits with the status of the command, like borg', async () => {
    const commands = [['false'], ['sh', '-c', 'exit 3'], ['true']];
    const theirs = borgBatch(commands.map((c) => ({ argv: ['with-lock', repo, ...c] })), box.env, box.dir);
    for (const [i, command] of commands.entries()) {
      // Everything after the repository belongs to the command, its options (`-c`) included.
      const ours = await runBorgTs(['with-lock', repo, ...command], box.env);
      assert.equal(ours.code, theirs[i]!.rc, command.join(' '));
    }
    assert.equal((await runBorgTs(['with-lock', repo, 'sh', '-c', 'kill -TERM $$'], box.env)).code, 256 - 15);
  });

  it('passes the command output through and fails with one line for a command that does not exist', async () => {
    assert.deepEqual(await runBorgTs(['with-lock', repo, 'echo', 'hello'], box.env), { code: 0, stdout: 'hello\n', stderr: '' });
    const missing = await runBorgTs(['with-lock', repo, 'no-such-command-here'], box.env);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^Cannot run no-such-command-here: [^\n]*ENOENT[^\n]*\n$/);
    assert.ok(!existsSync(`${repo}/lock.exclusive`), 'lock released after a failed start');
    const [check] = borgBatch([{ argv: ['check', repo] }], box.env, box.dir);
    assert.equal(check!.rc, 0, check!.stderr);
  });
});
