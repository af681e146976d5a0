// The rest of the command line against real borg 1.2.4's `borg serve` over a real sshd: init's
// options reach the server, key commands, locks (a lock timeout, break-lock), deleting a
// repository, --rsh and the upload options, the server's log records with --log-json, and the
// errors a user meets (no such repository, ssh refusing the key, no borg on the server, config
// of a remote repository) with borg's exit codes.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { SshServer } from '../helpers/sshd.js';
import { assertExit, assertOneLineError, Sandbox } from './tools.js';

describe('borg-ts commands with a repository behind real borg serve', () => {
  let sshd: SshServer;
  let box: Sandbox;
  let url: string;
  const repo = () => box.path('repo');

  before(async () => {
    sshd = await SshServer.start();
    box = new Sandbox();
    url = sshd.url(repo());
    mkdirSync(box.path('tree'));
    writeFileSync(box.path('tree', 'file.txt'), 'remote\n'.repeat(10_000));
  });
  after(async () => {
    await sshd.stop();
    box.cleanup();
  });

  it('passes init --append-only and --storage-quota to the server; --rsh and the upload options work', () => {
    const other = box.path('quota-repo');
    const init = box.borgTs(['init', '--rsh', sshd.client.rsh, '-e', 'repokey', '--append-only', '--storage-quota', '15M', sshd.url(other)]);
    assertExit(init, 0, 'init --append-only --storage-quota');
    const config = readFileSync(join(other, 'config'), 'utf8');
    assert.match(config, /^append_only = 1$/m);
    assert.match(config, /^storage_quota = 15000000$/m);

    assertExit(box.borgTs(['init', '--rsh', sshd.client.rsh, '-e', 'repokey-blake2', url]), 0, 'init');
    const create = box.borgTs(['create', '--rsh', sshd.client.rsh, '--upload-ratelimit', '100000', '--upload-buffer', '8', `${url}::a`, 'tree']);
    assertExit(create, 0, 'create with upload options');
  });

  it('runs the key commands over ssh', () => {
    const env = box.with({ BORG_RSH: sshd.client.rsh });
    const exported = box.borgTs(['key', 'export', url, box.path('key.txt')], { env });
    assertExit(exported, 0, 'key export');
    assert.match(readFileSync(box.path('key.txt'), 'utf8'), /^BORG_KEY [0-9a-f]{64}\n/);
    assertExit(box.borgTs(['key', 'import', url, box.path('key.txt')], { env }), 0, 'key import');
    const changed = box.borgTs(['key', 'change-passphrase', url], { env: { ...env, BORG_NEW_PASSPHRASE: 'new secret' } });
    assertExit(changed, 0, 'key change-passphrase');
    assertExit(box.borgTs(['list', url], { env: { ...env, BORG_PASSPHRASE: 'new secret' } }), 0, 'list with the new passphrase');
    box.env['BORG_PASSPHRASE'] = 'new secret';
  });

  it('forwards the server log records with --log-json, under the server logger names and levels', () => {
    const r = box.borgTs(['--debug', '--log-json', 'list', url], { env: box.with({ BORG_RSH: sshd.client.rsh }) });
    assertExit(r, 0, 'list --debug --log-json');
    const records = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const remote = records.filter((x) => typeof x['message'] === 'string' && (x['message'] as string).startsWith('Remote: '));
    assert.ok(remote.some((x) => x['levelname'] === 'DEBUG' && x['name'] === 'root'), r.stderr);
    assert.ok(remote.every((x) => x['type'] === 'log_message'));
  });

  it('waits for a lock held by another host, gives up with LockTimeout, and break-lock removes it', async () => {
    // Real borg on "another host" takes the lock and dies with it: no one will release it.
    const holder = spawn('borg', ['with-lock', repo(), 'sleep', '600'], { env: { ...box.env, BORG_HOST_ID: 'other-host@4242' }, stdio: 'ignore' });
    const exclusive = join(repo(), 'lock.exclusive');
    while (!existsSync(exclusive)) await new Promise((resolve) => setTimeout(resolve, 50));
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('close', resolve));
    const env = box.with({ BORG_RSH: sshd.client.rsh });
    const timedOut = box.borgTs(['--lock-wait', '1', 'list', url], { env });
    assertOneLineError(timedOut, /lock.*timeout/i, 'list under a foreign lock');
    const modern = box.borgTs(['--lock-wait', '0', 'list', url], { env: { ...env, BORG_EXIT_CODES: 'modern' } });
    assertExit(modern, 73, 'LockTimeout with modern exit codes');
    assertExit(box.borgTs(['break-lock', url], { env }), 0, 'break-lock');
    assert.equal(existsSync(exclusive), false);
    assertExit(box.borgTs(['--lock-wait', '0', 'list', url], { env }), 0, 'list after break-lock');
  });

  it('reports a missing repository, a refused key and a missing borg with borg\'s exit codes', () => {
    const env = box.with({ BORG_RSH: sshd.client.rsh });
    const missing = sshd.url(box.path('no-such-repo'));
    assertOneLineError(box.borgTs(['list', missing], { env }), /does not exist/, 'missing repository');
    assertExit(box.borgTs(['list', missing], { env: { ...env, BORG_EXIT_CODES: 'modern' } }), 13, 'DoesNotExist, modern');

    // A key the server does not know: ssh's own complaint is shown as a "Remote:" line.
    const stranger = box.path('stranger');
    assert.equal(spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', stranger]).status, 0);
    const refused = box.borgTs(['list', url], { env: box.with({ BORG_RSH: sshd.rshFor(stranger) }) });
    assertExit(refused, 2, 'refused key');
    assert.match(refused.stderr, /^Remote: .*Permission denied/m);
    assert.match(refused.stderr, /Is borg working on the server\?/);

    const noBorg = box.borgTs(['list', '--remote-path', '/nonexistent/borg', url], { env: { ...env, BORG_EXIT_CODES: 'modern' } });
    assertExit(noBorg, 81, 'no borg on the server (ConnectionClosedWithHint, modern)');
    assert.match(noBorg.stderr, /^Remote: .*\/nonexistent\/borg/m);
  });

  it('refuses to configure a remote repository, like borg', () => {
    const r = box.borgTs(['config', url, 'append_only'], { env: box.with({ BORG_RSH: sshd.client.rsh }) });
    assertExit(r, 2, 'config of a remote repository');
    assert.match(r.stderr, /Repository must be local/);
  });

  it('deletes the repository on the server', () => {
    const env = box.with({ BORG_RSH: sshd.client.rsh, BORG_DELETE_I_KNOW_WHAT_I_AM_DOING: 'YES' });
    assertExit(box.borgTs(['delete', url], { env }), 0, 'delete');
    assert.equal(existsSync(repo()), false);
  });
});

