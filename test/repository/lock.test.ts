// Locking against real borg: same host id and lock names, borg respects our locks and we respect
// borg's, stale locks of dead local processes are broken, a second locker times out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { LockTimeout } from '../../src/repository/errors.js';
import { hostId } from '../../src/repository/host-id.js';
import { Lock } from '../../src/repository/lock.js';
import { borgEnv, copyVectorRepo, makeTempDir, removeTemp, runBorg, runBorgPython } from './repo-fixtures.js';

const LOCK_MODULE = fileURLToPath(new URL('../../src/repository/lock.ts', import.meta.url));

/** A pid that certainly belongs to no running process. */
function deadPid(): number {
  const r = spawnSync('sh', ['-c', 'echo $$']);
  return Number(r.stdout.toString().trim());
}

test('hostId matches borg.platform.hostid on this machine', () => {
  const env = { ...process.env };
  delete env['BORG_HOST_ID'];
  const py = runBorgPython('from borg.platform import hostid; print(hostid)', env);
  assert.equal(py.status, 0, py.stderr);
  const saved = process.env['BORG_HOST_ID'];
  delete process.env['BORG_HOST_ID'];
  try {
    assert.equal(hostId(), py.stdout.trim());
  } finally {
    if (saved !== undefined) process.env['BORG_HOST_ID'] = saved;
  }
});

test('lock files look like borg\'s: borg with-lock writes the names and roster we write', async () => {
  const tmp = makeTempDir();
  try {
    const repo = copyVectorRepo('repo-none', tmp);
    const env = borgEnv(tmp, 'repo-none');
    const r = runBorg(['with-lock', repo, 'sh', '-c', `ls "${repo}/lock.exclusive"; cat "${repo}/lock.roster"`], env);
    assert.equal(r.status, 0, r.stderr);
    const [name, roster] = r.stdout.split('\n');
    const m = /^(.*)\.(\d+)-0$/.exec(name!);
    assert.ok(m, name);
    assert.equal(m[1], hostId());
    assert.equal(roster, `{"exclusive": [["${hostId()}", ${m[2]}, 0]]}`);

    const lock = await new Lock(join(repo, 'lock'), { exclusive: true, timeout: 1 }).acquire();
    assert.deepEqual(readdirSync(join(repo, 'lock.exclusive')), [`${hostId()}.${process.pid}-0`]);
    assert.equal(readFileSync(join(repo, 'lock.roster'), 'utf8'), `{"exclusive": [["${hostId()}", ${process.pid}, 0]]}`);
    await lock.release();
    assert.equal(existsSync(join(repo, 'lock.exclusive')), false);
    assert.equal(existsSync(join(repo, 'lock.roster')), false);
  } finally {
    removeTemp(tmp);
  }
});

test('borg waits for our locks: shared blocks its exclusive lock, not its shared one', async () => {
  const tmp = makeTempDir();
  try {
    const repo = copyVectorRepo('repo-none', tmp);
    const env = borgEnv(tmp, 'repo-none');
    const shared = await new Lock(join(repo, 'lock'), { exclusive: false, timeout: 1 }).acquire();
    const withLock = runBorg(['--lock-wait', '1', 'with-lock', repo, 'true'], env);
    assert.equal(withLock.status, 2);
    assert.match(withLock.stderr, /lock/i);
    const list = runBorg(['--lock-wait', '1', 'list', '--short', repo], env);
    assert.equal(list.status, 0, list.stderr);
    assert.equal(list.stdout.trim(), 'vector-archive');
    // borg removed only its own roster entry.
    const roster = JSON.parse(readFileSync(join(repo, 'lock.roster'), 'utf8')) as { shared: unknown; exclusive?: unknown[] };
    assert.deepEqual(roster.shared, [[hostId(), process.pid, 0]]);
    assert.equal(roster.exclusive?.length ?? 0, 0);
    await shared.upgrade();
    assert.equal(runBorg(['--lock-wait', '1', 'list', repo], env).status, 2);
    await shared.release();
    assert.equal(runBorg(['--lock-wait', '1', 'with-lock', repo, 'true'], env).status, 0);
  } finally {
    removeTemp(tmp);
  }
});

test('we wait for borg\'s lock and time out with LockTimeout', async () => {
  const tmp = makeTempDir();
  try {
    const repo = copyVectorRepo('repo-none', tmp);
    const child = spawn('borg', ['with-lock', repo, 'sleep', '2'], { env: borgEnv(tmp, 'repo-none'), stdio: 'ignore' });
    const exited = new Promise((r) => child.on('exit', r));
    for (let i = 0; i < 100 && !existsSync(join(repo, 'lock.roster')); i++) await sleep(50);
    const t0 = Date.now();
    await assert.rejects(new Lock(join(repo, 'lock'), { exclusive: false, timeout: 0.5 }).acquire(), LockTimeout);
    assert.ok(Date.now() - t0 >= 450);
    await exited;
    await (await new Lock(join(repo, 'lock'), { exclusive: true, timeout: 1 }).acquire()).release();
  } finally {
    removeTemp(tmp);
  }
});

test('an exclusive lock held by another process makes a second locker time out', async () => {
  const tmp = makeTempDir();
  try {
    const path = join(tmp, 'lock');
    const script = `import { Lock } from ${JSON.stringify(LOCK_MODULE)};
      await new Lock(${JSON.stringify(path)}, { exclusive: true, timeout: 1 }).acquire();
      console.log('locked'); setTimeout(() => {}, 60000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((r) => child.stdout.once('data', () => r()));
    await assert.rejects(new Lock(path, { exclusive: true, timeout: 0.3 }).acquire(), LockTimeout);
    await assert.rejects(new Lock(path, { exclusive: false, timeout: 0.3 }).acquire(), LockTimeout);
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    // The holder died without releasing: its lock is stale now and broken automatically.
    const lock = await new Lock(path, { exclusive: true, timeout: 1 }).acquire();
    assert.deepEqual(readdirSync(`${path}.exclusive`), [`${hostId()}.${process.pid}-0`]);
    await lock.release();
  } finally {
    removeTemp(tmp);
  }
});

test('stale locks of dead processes are broken, foreign hosts are respected', async () => {
  const tmp = makeTempDir();
  try {
    const path = join(tmp, 'lock');
    const dead = deadPid();
    mkdirSync(`${path}.exclusive`);
    writeFileSync(join(`${path}.exclusive`, `${hostId()}.${dead}-0`), '');
    writeFileSync(`${path}.roster`, JSON.stringify({ shared: [[hostId(), dead, 0]], exclusive: [[hostId(), dead, 0]] }));
    const lock = await new Lock(path, { exclusive: true, timeout: 1 }).acquire();
    assert.deepEqual(JSON.parse(readFileSync(`${path}.roster`, 'utf8')), { shared: [], exclusive: [[hostId(), process.pid, 0]] });
    await lock.release();

    mkdirSync(`${path}.exclusive`);
    writeFileSync(join(`${path}.exclusive`, `other-host@1.${dead}-0`), '');
    await assert.rejects(new Lock(path, { exclusive: false, timeout: 0.2 }).acquire(), LockTimeout);
    new Lock(path, { exclusive: false, timeout: null }).breakLock();
    assert.equal(existsSync(`${path}.exclusive`), false);
  } finally {
    removeTemp(tmp);
  }
});
