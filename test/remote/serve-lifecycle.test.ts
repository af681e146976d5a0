// How a `borg-ts serve` process ends: when its input ends (the client is done or died) it rolls
// back what was not committed, releases the repository lock and exits 0; when its client stops
// reading, when it gets SIGTERM/SIGHUP, or when a request is malformed, it also releases the lock.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { encode } from '../../src/format/msgpack.js';
import { Sandbox } from '../interop/tools.js';
import { ServeProcess, isLocked } from './serve-process.js';

describe('borg-ts serve lifecycle', () => {
  let box: Sandbox;
  const committed = randomBytes(32);

  before(async () => {
    box = new Sandbox();
    const s = new ServeProcess({ cwd: box.dir, env: box.env });
    await s.negotiate();
    await s.result('open', { path: box.path('repo'), create: true, exclusive: true });
    await s.result('put', { id: committed, data: randomBytes(3_000_000) });
    await s.result('commit', { compact: false });
    assert.equal((await s.end()).code, 0);
  });
  after(() => box.cleanup());

  async function openedExclusively(): Promise<ServeProcess> {
    const s = new ServeProcess({ cwd: box.dir, env: box.env });
    await s.negotiate();
    await s.result('open', { path: box.path('repo'), exclusive: true });
    assert.ok(isLocked(box.path('repo')));
    return s;
  }

  it('at the end of its input: rolls back, releases the lock, exits 0', async () => {
    const s = await openedExclusively();
    const uncommitted = randomBytes(32);
    await s.result('put', { id: uncommitted, data: Buffer.from('not committed') });
    assert.deepEqual(await s.end(), { code: 0, signal: null });
    assert.equal(isLocked(box.path('repo')), false);

    const again = await openedExclusively();
    assert.equal((await again.call('get', { id: uncommitted })).error?.className, 'ObjectNotFound');
    assert.equal(await again.result('__len__'), 1);
    assert.equal((await again.end()).code, 0);
  });

  it('says so when the connection ends before a repository was opened', async () => {
    const s = new ServeProcess({ cwd: box.dir, env: box.env });
    assert.equal((await s.end()).code, 0);
    assert.match(s.stderr, /Connection closed before a repository was opened/);
    assert.equal(s.stdout.length, 0);
  });

  it('when the client stops reading (it died): releases the lock and exits', async () => {
    const s = await openedExclusively();
    s.child.stdout!.destroy();
    // Responses now have nowhere to go: the large one fails at once.
    for (let i = 0; i < 5; i++) s.send('get', { id: committed });
    const { code, signal } = await s.exited;
    assert.equal(signal, null);
    assert.equal(code, 2);
    assert.equal(isLocked(box.path('repo')), false);
    assert.doesNotMatch(s.stderr, /^\s+at /m, 'no stack trace');
  });

  it('when the client dies (both pipes close at once): releases the lock and exits', async () => {
    const s = await openedExclusively();
    await s.result('put', { id: randomBytes(32), data: randomBytes(100_000) });
    s.child.stdout!.destroy();
    s.child.stderr!.destroy();
    s.child.stdin!.destroy();
    const { signal } = await s.exited;
    assert.equal(signal, null);
    assert.equal(isLocked(box.path('repo')), false);
  });

  for (const name of ['SIGTERM', 'SIGHUP'] as const) {
    it(`on ${name}: releases the lock and exits with 128+N`, async () => {
      const s = await openedExclusively();
      s.child.kill(name);
      const { code } = await s.exited;
      assert.equal(code, name === 'SIGTERM' ? 143 : 129);
      assert.equal(isLocked(box.path('repo')), false);
    });
  }

  it('on a malformed request: answers nothing more, releases the lock, exits 2', async () => {
    const s = await openedExclusively();
    s.sendRaw(() => encode([1, 2, 3]));
    const { code } = await s.exited;
    assert.equal(code, 2);
    assert.match(s.stderr, /unexpected RPC data format from client/);
    assert.equal(isLocked(box.path('repo')), false);

    const big = await openedExclusively();
    big.sendRaw(() => encode(Array.from({ length: 101 }, () => 0))); // more than the server's unpacker allows
    assert.equal((await big.exited).code, 2);
    assert.equal(isLocked(box.path('repo')), false);
  });
});
