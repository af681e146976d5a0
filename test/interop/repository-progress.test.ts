// `compact --progress` and `check --progress` show "Compacting segments N%" and "Checking segments
// N.N%" as borg does: locally, and over ssh from `borg-ts serve` to both the borg-ts client and the
// real borg client (the server sends the progress records; a client shows them only when asked to).
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';

import { SshServer } from '../helpers/sshd.js';
import { pseudoRandom } from '../helpers/tree-compare.js';
import { assertExit, BIN, Sandbox } from './tools.js';

const PROGRESS = /Compacting segments +\d+%/;
const CHECKING = /Checking segments +\d+\.\d%/;

describe('compact --progress', () => {
  let sshd: SshServer;
  let box: Sandbox;

  before(async () => {
    sshd = await SshServer.start();
    box = new Sandbox({ BORG_RSH: '' });
    box.env['BORG_RSH'] = sshd.client.rsh;
  });
  after(async () => {
    await sshd.stop();
    box.cleanup();
  });

  /** A repository with a deleted archive, so that compaction has segments to rewrite. */
  const prepare = (run: (args: string[]) => ReturnType<Sandbox['borg']>, repo: string, name: string): void => {
    const data = box.path(`data-${name}`);
    mkdirSync(data);
    for (let i = 0; i < 12; i++) writeFileSync(`${data}/f${i}`, pseudoRandom(`${name}-${i}`, 150_000));
    assertExit(run(['init', '-e', 'repokey', repo]), 0, 'init');
    assertExit(run(['create', `${repo}::a`, data]), 0, 'create a');
    for (let i = 0; i < 6; i++) rmSync(`${data}/f${i}`);
    assertExit(run(['create', `${repo}::b`, data]), 0, 'create b');
    assertExit(run(['delete', `${repo}::a`]), 0, 'delete a');
  };

  it('shows the percentage for a local repository, and nothing without --progress', () => {
    const repo = box.path('local');
    prepare((a) => box.borgTs(a), repo, 'local');
    const quiet = box.borgTs(['compact', repo]);
    assertExit(quiet, 0, 'compact');
    assert.doesNotMatch(quiet.stderr, PROGRESS);
    prepare((a) => box.borgTs(a), box.path('local2'), 'local2');
    const shown = box.borgTs(['compact', '--progress', box.path('local2')]);
    assertExit(shown, 0, 'compact --progress');
    assert.match(shown.stderr, PROGRESS);
    const check = box.borgTs(['check', '--repository-only', '--progress', box.path('local2')]);
    assertExit(check, 0, 'check --progress');
    assert.match(check.stderr, CHECKING);
    assert.doesNotMatch(box.borgTs(['check', '--repository-only', box.path('local2')]).stderr, CHECKING);
  });

  it('borg-ts serve sends it to the real borg client and to the borg-ts client', () => {
    const remotePath = `${process.execPath} ${BIN}`;
    const theirs = sshd.url(box.path('for-borg'));
    prepare((a) => box.borg(['--remote-path', remotePath, ...a]), theirs, 'borg');
    const borgRun = box.borg(['--remote-path', remotePath, 'compact', '--progress', theirs]);
    assertExit(borgRun, 0, 'borg compact --progress via borg-ts serve');
    assert.match(borgRun.stderr, PROGRESS);
    const borgCheck = box.borg(['--remote-path', remotePath, 'check', '--repository-only', '--progress', theirs]);
    assertExit(borgCheck, 0, 'borg check --progress via borg-ts serve');
    assert.match(borgCheck.stderr, CHECKING);

    const ours = sshd.url(box.path('for-borg-ts'));
    prepare((a) => box.borgTs(['--remote-path', remotePath, ...a]), ours, 'ts');
    const tsRun = box.borgTs(['--remote-path', remotePath, 'compact', '--progress', ours]);
    assertExit(tsRun, 0, 'borg-ts compact --progress via borg-ts serve');
    assert.match(tsRun.stderr, PROGRESS);
  });
});
