// A lost connection in the middle of `borg-ts create` over ssh: the ssh client is killed while the
// upload is under way (slowed down by --upload-ratelimit so that there is a middle). borg-ts must
// stop with a clear error, real borg must find the repository clean with every earlier archive
// intact, and the next create must succeed. And the opposite: Ctrl-C in the terminal reaches the
// whole process group, but not the ssh client, so create still saves its checkpoint over it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { SshServer } from '../helpers/sshd.js';
import { diffTrees, pseudoRandom } from '../helpers/tree-compare.js';
import { assertExit, BIN, Sandbox, type Run } from './tools.js';

/** Total size of the repository's segment files. */
function segmentBytes(repo: string): number {
  let total = 0;
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/^\d+$/.test(entry.name)) total += statSync(path).size;
    }
  };
  walk(join(repo, 'data'));
  return total;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('killing the ssh connection in the middle of a create', () => {
  let sshd: SshServer;
  let box: Sandbox;
  let url: string;
  const repo = () => box.path('repo');
  const pidFile = () => box.path('ssh.pid');
  // Real borg works on the repository locally, with a client state of its own.
  const borgEnv = () => box.with({ BORG_BASE_DIR: box.path('base-borg') });

  before(async () => {
    sshd = await SshServer.start();
    box = new Sandbox({ TZ: 'UTC' });
    // The remote shell records its pid, then becomes ssh.
    writeFileSync(box.path('rsh.sh'), `#!/bin/sh\necho $$ > '${pidFile()}'\nexec ${sshd.client.rsh} "$@"\n`);
    chmodSync(box.path('rsh.sh'), 0o755);
    box.env['BORG_RSH'] = box.path('rsh.sh');
    url = sshd.url(repo());
    mkdirSync(box.path('tree'));
    writeFileSync(box.path('tree', 'small.txt'), 'in the first archive\n');
    writeFileSync(box.path('tree', 'first.bin'), pseudoRandom('first', 200_000));
  });
  after(async () => {
    await sshd.stop();
    box.cleanup();
  });

  it('stops the create with a clear error', async () => {
    assertExit(box.borgTs(['init', '-e', 'repokey-blake2', url]), 0, 'init');
    assertExit(box.borgTs(['create', `${url}::first`, 'tree']), 0, 'create first');
    const committed = segmentBytes(repo());
    mkdirSync(box.path('more'));
    writeFileSync(box.path('more', 'big.bin'), pseudoRandom('big', 4_000_000));

    // Fixed 256 KiB chunks: the new data reaches the server object by object (content-defined
    // chunks could make it one 4 MB object, after which the create ends before the cut).
    const child = spawn(process.execPath, [BIN, 'create', '--upload-ratelimit', '200', '--chunker-params', 'fixed,262144', `${url}::second`, 'tree', 'more'], {
      env: box.env, cwd: box.dir, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    // Wait until a good part of the new data has reached the server, then cut the connection.
    let running = true;
    void exited.then(() => (running = false));
    while (running && segmentBytes(repo()) < committed + 800_000) await sleep(50);
    assert.ok(running, `create ended before the connection was cut: ${stderr}`);
    const sshPid = Number(readFileSync(pidFile(), 'utf8'));
    assert.match(readFileSync(`/proc/${sshPid}/cmdline`, 'latin1'), /^ssh\0/, 'the pid file names the running ssh client');
    process.kill(sshPid, 'SIGKILL');
    const code = await exited;
    const run: Run = { code, stdout: '', stderr };
    assertExit(run, 2, 'create with a lost connection');
    assert.match(stderr, /connection was closed/);
    assert.doesNotMatch(stderr, /^\s+at .*\(.*\)$|Traceback/m, 'no stack trace');
  });

  it('leaves a repository that real borg checks clean, with the earlier archive intact', () => {
    // The server notices the end of its connection and releases the lock: wait for it.
    assertExit(box.borg(['check', '--lock-wait', '60', '--verify-data', repo()], { env: borgEnv() }), 0, 'borg check');
    const env = borgEnv();
    const list = box.borg(['list', '--short', repo()], { env });
    assert.deepEqual(list.stdout.trim().split('\n'), ['first']);
    mkdirSync(box.path('out'));
    assertExit(box.borg(['extract', `${repo()}::first`], { env, cwd: box.path('out') }), 0, 'borg extract first');
    assert.deepEqual(diffTrees(box.path('tree'), box.path('out', 'tree'), { root: true, ignore: ['atimeNs'] }), []);
  });

  it('lets the next create succeed', () => {
    assertExit(box.borgTs(['create', '--lock-wait', '60', `${url}::third`, 'tree', 'more']), 0, 'create third');
    const list = box.borgTs(['list', '--short', url]);
    assert.deepEqual(list.stdout.trim().split('\n'), ['first', 'third']);
    assertExit(box.borg(['check', '--lock-wait', '60', '--verify-data', repo()], { env: borgEnv() }), 0, 'borg check after');
    assert.ok(existsSync(pidFile()));
  });

  it('keeps the connection through Ctrl-C, so that create saves its checkpoint on the server', async () => {
    // Its own process group, signalled as a whole like a terminal's Ctrl-C does.
    const child = spawn(process.execPath, [BIN, 'create', '--progress', '--log-json', '--chunker-params', 'buzhash,10,16,12,4095',
      '--content-from-command', `${url}::cut`, '--', 'sh', '-c', 'head -c 2000000 /dev/urandom; exec sleep 30'],
    { cwd: box.dir, env: box.env, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await new Promise<void>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (/"original_size": [1-9]\d{6}/.test(stderr)) resolve();
      });
    });
    process.kill(-child.pid!, 'SIGINT');
    assert.equal(await exited, 2, stderr);
    assert.match(stderr, /"message": "Got Ctrl-C \/ SIGINT\."/);
    // The server may still be closing the interrupted session.
    const list = box.borgTs(['list', '--lock-wait', '60', '--consider-checkpoints', '--short', url]);
    assertExit(list, 0, 'list after Ctrl-C');
    assert.deepEqual(list.stdout.trim().split('\n'), ['first', 'third', 'cut.checkpoint']);
    assertExit(box.borg(['check', '--lock-wait', '60', '--verify-data', repo()], { env: borgEnv() }), 0, 'borg check with the checkpoint');
  });
});
