// Concurrency on one repository: a second writer waits (--lock-wait) or fails cleanly; two creates
// started together both succeed in turn; readers during a write see the last commit or fail
// cleanly; a lock is broken automatically only when its holder is gone (a dead process on this
// host), never while it lives, and a foreign host's lock only by `break-lock`.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { compareContent } from './lib/corpus.js';
import { CI_LAB, Lab, TEMPLATE_ARCHIVES } from './lib/lab.js';
import { describeResult, misbehaviour, type ProcessResult } from './lib/processes.js';
import { Prng } from './lib/prng.js';
import { localTransport } from './lib/transport.js';

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (condition()) return;
    await sleep(50);
  }
  throw new Error(`gave up waiting for ${what}`);
}

function assertOk(r: ProcessResult, what: string): void {
  assert.equal(r.code, 0, describeResult(what, r));
}

/** A clean refusal: exit 2, one line about the lock, no trace. */
function assertLockRefusal(r: ProcessResult, what: string): void {
  assert.equal(misbehaviour(r), '', describeResult(what, r));
  assert.equal(r.code, 2, describeResult(what, r));
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, describeResult(what, r));
  assert.match(lines[0]!, /lock/i);
}

describe('concurrent access to one repository', () => {
  let lab: Lab;
  const lockDir = () => join(lab.repo, 'lock.exclusive');
  before(async () => {
    lab = await Lab.create(join(tmpdir(), 'borg-ts-reliability'), new Prng(17), localTransport, CI_LAB);
  });
  after(() => lab?.cleanup());

  it('a second writer fails cleanly after --lock-wait, or waits for the first', async () => {
    lab.reset();
    const holder = lab.ts(['with-lock', lab.loc(), 'sleep', '4']);
    await waitFor(() => existsSync(lockDir()), 'the holder\'s lock');
    const blocked = lab.createArgs('blocked', 'new', ['--lock-wait', '1']);
    assertLockRefusal(await lab.ts(blocked.args, { cwd: blocked.cwd }), 'create while locked');
    assert.ok(existsSync(lockDir()), 'the live holder keeps its lock');
    const waiting = lab.createArgs('waited', 'new', ['--lock-wait', '120']);
    const waited = lab.ts(waiting.args, { cwd: waiting.cwd });
    assertOk(await holder, 'with-lock');
    assertOk(await waited, 'create --lock-wait 120');
    assert.deepEqual((await lab.archives()).sort(), ['a1', 'a2', 'a3', 'waited']);
    assertOk(await lab.borg(['check', lab.loc()]), 'borg check');
    assert.deepEqual(await lab.verifyArchive('waited', 'new'), []);
  });

  it('two creates started together both succeed, one after the other', async () => {
    lab.reset();
    const one = lab.createArgs('one', 'base2', ['--lock-wait', '120']);
    const two = lab.createArgs('two', 'new', ['--lock-wait', '120']);
    const [r1, r2] = await Promise.all([lab.ts(one.args, { cwd: one.cwd }), lab.ts(two.args, { cwd: two.cwd })]);
    assertOk(r1, 'first create');
    assertOk(r2, 'second create');
    assertOk(await lab.borg(['check', lab.loc()]), 'borg check');
    assert.deepEqual([...(await lab.verifyArchive('one', 'base2')), ...(await lab.verifyArchive('two', 'new'))], []);
  });

  it('readers during a write see the last commit or fail cleanly', async () => {
    lab.reset();
    const writing = lab.createArgs('new', 'new', ['--checkpoint-interval', '1']);
    let done = false;
    const writer = lab.ts(writing.args, { cwd: writing.cwd }).finally(() => {
      done = true;
    });
    // A reader that takes the shared lock sees the last commit: the writer waits for it or it for the writer.
    const waitingReader = lab.ts(['list', '--short', '--lock-wait', '120', lab.loc()]);
    let reads = 0;
    do {
      const list = await lab.ts(['list', '--bypass-lock', '--consider-checkpoints', '--short', lab.loc()]);
      assert.equal(misbehaviour(list), '', describeResult('list --bypass-lock', list));
      if (list.code === 0) {
        for (const name of list.stdout.split('\n').filter((l) => l !== '')) assert.match(name, /^(a[123]|new(\.checkpoint(\.\d+)?)?)$/);
      } else assert.equal(list.code, 2, describeResult('list --bypass-lock', list));
      const target = mkdtempSync(join(lab.root, 'read-'));
      const extract = await lab.ts(['extract', '--bypass-lock', lab.loc('a1')], { cwd: target });
      assert.equal(misbehaviour(extract), '', describeResult('extract --bypass-lock', extract));
      if (extract.code === 0) assert.deepEqual(compareContent(lab.sourceDir(TEMPLATE_ARCHIVES['a1']!), target), []);
      else assert.equal(extract.code, 2, describeResult('extract --bypass-lock', extract));
      rmSync(target, { recursive: true, force: true });
      reads++;
    } while (!done);
    assertOk(await writer, 'create');
    const waited = await waitingReader;
    assertOk(waited, 'list --lock-wait');
    // It ran before the writer took the lock or after its commit: never in between.
    assert.match(waited.stdout, /^a1\na2\na3\n(new\n)?$/);
    assert.ok(reads > 0);
    assertOk(await lab.borg(['check', lab.loc()]), 'borg check');
  });

  it('a lock is broken automatically only when its holder is gone', async () => {
    lab.reset();
    // A holder killed with SIGKILL: the next create breaks its lock by itself.
    let pid = 0;
    const holder = lab.ts(['with-lock', lab.loc(), 'sleep', '3'], { onSpawn: (p) => void (pid = p) });
    await waitFor(() => existsSync(lockDir()), 'the holder\'s lock');
    process.kill(pid, 'SIGKILL');
    assert.equal((await holder).signal, 'SIGKILL');
    assert.ok(existsSync(lockDir()), 'the dead holder left its lock');
    const next = lab.createArgs('after-kill', 'new');
    assertOk(await lab.ts(next.args, { cwd: next.cwd }), 'create after the holder died');

    // A lock of another host may belong to a live process there: never broken automatically.
    mkdirSync(lockDir());
    writeFileSync(join(lockDir(), 'other-host@123456789.4242-0'), '');
    writeFileSync(join(lab.repo, 'lock.roster'), JSON.stringify({ shared: [], exclusive: [['other-host@123456789', 4242, 0]] }));
    const refused = lab.createArgs('refused', 'new', ['--lock-wait', '1']);
    assertLockRefusal(await lab.ts(refused.args, { cwd: refused.cwd }), 'create with a foreign lock');
    assert.ok(existsSync(lockDir()));
    assertOk(await lab.ts(['break-lock', lab.loc()]), 'break-lock');
    const after = lab.createArgs('after-break', 'new');
    assertOk(await lab.ts(after.args, { cwd: after.cwd }), 'create after break-lock');
    assertOk(await lab.borg(['check', lab.loc()]), 'borg check');
    assert.deepEqual((await lab.archives()).sort(), ['a1', 'a2', 'a3', 'after-break', 'after-kill']);
  });
});
