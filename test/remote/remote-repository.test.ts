// RemoteRepository and RpcConnection against a real `borg serve` 1.2.4. The "remote shell" here is
// `sh`, which drops the host argument and runs the server directly (the ssh transport has its own
// tests in test/interop/remote-*.test.ts): the protocol, pipelining, asynchronous writes, error
// mapping, log forwarding and a lost connection are all exercised on the real server.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { IntegrityError } from '../../src/errors.js';
import type { LogLevel } from '../../src/progress.js';
import { ConnectionClosed, ConnectionClosedWithHint, PathNotAllowed, RemoteError } from '../../src/remote/errors.js';
import { parseLocation } from '../../src/remote/location.js';
import { RemoteRepository, type RemoteOptions } from '../../src/remote/remote-repository.js';
import { formatVersion, RpcConnection } from '../../src/remote/rpc-connection.js';
import { InvalidRPCMethod } from '../../src/remote/rpc/rpc-codec.js';
import { AlreadyExists, CheckNeeded, DoesNotExist, LockTimeout, ObjectNotFound, StorageQuotaExceeded } from '../../src/repository/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'borg-ts-remote-repo-'));
const env = { ...process.env, BORG_BASE_DIR: join(dir, 'base') };
/**
 * A remote shell that ignores the host and runs the command here through a shell, as sshd does
 * with the words ssh joined; it records the pid the server will have.
 */
const LOCAL_RSH = `sh -c 'echo $$ > "$BORG_TS_TEST_PID"; shift; exec sh -c "exec $*"' sh`;

function id(n: number): Buffer {
  const b = Buffer.alloc(32);
  b.writeUInt32BE(n, 28);
  return b;
}

interface Logged {
  level: LogLevel;
  message: string;
  name?: string;
}

function remote(extra: RemoteOptions = {}, logged: Logged[] = [], lines: string[] = []): RemoteOptions {
  return {
    rsh: LOCAL_RSH,
    sinks: { log: { log: (level, message, options) => logged.push({ level, message, ...(options?.name ? { name: options.name } : {}) }) }, line: (t) => lines.push(t) },
    ...extra,
  };
}

function at(name: string): string {
  return `ssh://testhost${join(dir, name)}`;
}

async function open(name: string, options: { create?: boolean; exclusive?: boolean; lockWait?: number; remote?: RemoteOptions; pidFile?: string } = {}): Promise<RemoteRepository> {
  return RemoteRepository.open(parseLocation(at(name)), {
    env: { ...env, BORG_TS_TEST_PID: options.pidFile ?? join(dir, 'pid') },
    remote: options.remote ?? remote(),
    create: options.create ?? false,
    exclusive: options.exclusive ?? true,
    ...(options.lockWait !== undefined ? { lockWait: options.lockWait } : {}),
  });
}

describe('RemoteRepository with a real borg serve', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('a repository created and used over the protocol', () => {
    let repo: RemoteRepository;
    const objects = Array.from({ length: 250 }, (_, i) => randomBytes(50 + i * 7));

    before(async () => {
      repo = await open('r1', { create: true });
      for (const [i, data] of objects.entries()) await repo.put(id(i), data);
      await repo.commit({ compact: false });
    });
    after(() => repo.close());

    it('returns the repository id the server stored in its config', () => {
      assert.match(readFileSync(join(dir, 'r1', 'config'), 'utf8'), new RegExp(`id = ${repo.id.toString('hex')}`));
    });

    it('reads objects one by one and pipelined, in request order', async () => {
      assert.deepEqual(await repo.get(id(7)), objects[7]);
      const order = [...objects.keys()].reverse();
      const got: Buffer[] = [];
      for await (const data of repo.getMany(order.map(id))) got.push(data);
      assert.deepEqual(got, order.map((i) => objects[i]));
    });

    it('pulls ids from an async source that only yields the next id after a result arrived', async () => {
      const results: Buffer[] = [];
      const waiting: Array<() => void> = [];
      async function* ids(): AsyncGenerator<Buffer> {
        for (let i = 0; i < 5; i++) {
          yield id(i);
          // The next id only once the consumer has the result for this one.
          while (results.length <= i) await new Promise<void>((resolve) => waiting.push(resolve));
        }
      }
      for await (const data of repo.getMany(ids())) {
        results.push(data);
        for (const wake of waiting.splice(0)) wake();
      }
      assert.deepEqual(results, objects.slice(0, 5));
    });

    it('delivers the objects before a missing one, then ObjectNotFound with the location and id', async () => {
      const got: Buffer[] = [];
      await assert.rejects(async () => {
        for await (const data of repo.getMany([id(1), id(2), id(9999), id(3)])) got.push(data);
      }, (e: unknown) => e instanceof ObjectNotFound && e.message.includes(id(9999).toString('hex')) && e.message.includes(at('r1')));
      assert.deepEqual(got, [objects[1], objects[2]]);
    });

    it('lists, scans and counts', async () => {
      assert.equal(await repo.len(), objects.length);
      const listed = await repo.list(null, null);
      assert.equal(listed.length, objects.length);
      const first = await repo.list(10, null);
      assert.deepEqual(await repo.list(5, first[9]!), listed.slice(10, 15));
      const scanned = await repo.scan(1000, null);
      assert.deepEqual(scanned.map((b) => b.toString('hex')).sort(), listed.map((b) => b.toString('hex')).sort());
    });

    it('keeps the key and the nonce reservation', async () => {
      await repo.saveKey(Buffer.from('a key blob'));
      assert.equal((await repo.loadKey()).toString(), 'a key blob');
      assert.equal(await repo.getFreeNonce(), null);
      await repo.commitNonceReservation(0x1_0000_0000_0001n, null);
      assert.equal(await repo.getFreeNonce(), 0x1_0000_0000_0001n);
      await assert.rejects(repo.commitNonceReservation(5n, 7n), RemoteError);
    });

    it('deletes (waiting for the answer, or not) and rolls back', async () => {
      await repo.delete(id(0));
      await repo.delete(id(1), { wait: false });
      await assert.rejects(repo.get(id(0)), ObjectNotFound);
      await assert.rejects(repo.get(id(1)), ObjectNotFound);
      await assert.rejects(repo.delete(id(9999)), ObjectNotFound);
      // Without waiting, the error comes with the next call that waits.
      await repo.delete(id(9998), { wait: false });
      await assert.rejects(repo.commit({ compact: false }), ObjectNotFound);
      await repo.rollback();
      assert.deepEqual(await repo.get(id(0)), objects[0]);
      assert.deepEqual(await repo.get(id(1)), objects[1]);
    });

    it('runs the repository check on the server', async () => {
      assert.equal(await repo.check(), true);
    });
  });

  it('surfaces a failed asynchronous write at commit, and the repository stays at its last commit', async () => {
    // The server takes its quota from its command line, like `borg init --storage-quota` passes it.
    const repo = await open('quota', { create: true, remote: remote({ storageQuota: 10_000_000 }) });
    try {
      await repo.put(id(1), Buffer.from('committed'));
      await repo.commit({ compact: false });
      const big = randomBytes(3_000_000);
      for (let i = 2; i < 7; i++) await repo.put(id(i), big);
      await assert.rejects(repo.commit({ compact: false }), (e: unknown) => e instanceof StorageQuotaExceeded && e.code === 'StorageQuotaExceeded');
      await repo.rollback();
      assert.equal(await repo.len(), 1);
    } finally {
      await repo.close();
    }
  });

  it('maps the server errors borg rebuilds to the local errors', async () => {
    await assert.rejects(open('missing'), (e: unknown) => e instanceof DoesNotExist && e.message.includes(at('missing')));
    await assert.rejects(open('r1', { create: true }), (e: unknown) => e instanceof AlreadyExists && e.message.includes(at('r1')));
    const connection = await RpcConnection.connect(['sh', '-c', 'exec "$@"', 'sh', 'borg', 'serve'], { env, location: 'ssh://x/y' });
    try {
      const inject = (kind: string) => connection.call('inject_exception', { kind });
      await assert.rejects(inject('CheckNeeded'), CheckNeeded);
      await assert.rejects(inject('IntegrityError'), (e: unknown) => e instanceof IntegrityError && e.message === 'test string');
      await assert.rejects(inject('PathNotAllowed'), (e: unknown) => e instanceof PathNotAllowed && e.message === 'Repository path not allowed: foo');
      await assert.rejects(inject('ObjectNotFound'), (e: unknown) => e instanceof ObjectNotFound && e.args[0] === 'test string' && e.args[1] === 'ssh://x/y');
      await assert.rejects(inject('InvalidRPCMethod'), (e: unknown) => e instanceof InvalidRPCMethod && e.method === 'test string');
      // Anything else keeps the server's class name; a Python exception shows the server's traceback.
      await assert.rejects(inject('divide'), (e: unknown) => e instanceof RemoteError && e.code === 'ZeroDivisionError' && /Traceback/.test(e.message));
    } finally {
      await connection.close();
    }
  });

  it('maps a lock timeout on the server to LockTimeout', async () => {
    const holder = await open('r1');
    try {
      await assert.rejects(open('r1', { lockWait: 0, pidFile: join(dir, 'pid2') }), (e: unknown) => e instanceof LockTimeout && e.code === 'LockTimeout');
    } finally {
      await holder.close();
    }
    // The server released the lock when the connection ended.
    await (await open('r1', { lockWait: 0 })).close();
  });

  it('forwards the server log records with their levels and logger names', async () => {
    const logged: Logged[] = [];
    const repo = await open('r1', { remote: remote({ logLevel: 'debug' }, logged) });
    await repo.close();
    assert.ok(logged.length > 0);
    for (const record of logged) assert.match(record.message, /^Remote: /);
    const debug = logged.find((r) => r.level === 'debug' && /Resolving repository path/.test(r.message));
    assert.ok(debug, JSON.stringify(logged));
    assert.equal(debug.name, 'root');
  });

  it('sends every byte intact under an upload rate limit and with an upload buffer', async () => {
    const repo = await open('r1', { remote: remote({ uploadRatelimit: 2000, uploadBuffer: 1 }) });
    try {
      const data = randomBytes(400_000);
      await repo.put(id(5000), data);
      await repo.put(id(5001), data.subarray(7));
      assert.deepEqual(await repo.get(id(5000)), data);
      assert.deepEqual(await repo.get(id(5001)), data.subarray(7));
      await repo.rollback();
    } finally {
      await repo.close();
    }
  });

  it('reports a lost connection as ConnectionClosed, for waiting calls and later ones', async () => {
    const pidFile = join(dir, 'pid-lost');
    const repo = await open('r1', { pidFile });
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await repo.put(id(6000), randomBytes(1000));
    process.kill(pid, 'SIGKILL');
    await assert.rejects(repo.commit(), ConnectionClosed);
    await assert.rejects(repo.get(id(1)), ConnectionClosed);
    await repo.close();
    // Nothing of the interrupted transaction was committed.
    const again = await open('r1');
    await assert.rejects(again.get(id(6000)), ObjectNotFound);
    await again.close();
  });

  it('says that borg may not work on the server when the connection ends before the negotiation', async () => {
    const lines: string[] = [];
    await assert.rejects(
      open('r1', { remote: remote({ remotePath: 'sh -c "echo no borg here >&2; exit 127"' }, [], lines) }),
      (e: unknown) => e instanceof ConnectionClosedWithHint && /Is borg working on the server\?/.test(e.message),
    );
    assert.deepEqual(lines, ['Remote: no borg here']);
  });

  it('reports a remote shell that cannot be started, with the shell\'s complaint', async () => {
    const lines: string[] = [];
    await assert.rejects(open('r1', { remote: remote({ rsh: '/nonexistent/ssh' }, [], lines) }), ConnectionClosedWithHint);
    assert.match(lines.join('\n'), /^Remote: .*\/nonexistent\/ssh/);
  });
});

describe('formatVersion', () => {
  it('writes version tuples as borg does', () => {
    assert.equal(formatVersion([1, 2, 4, -1]), '1.2.4');
    assert.equal(formatVersion([1, 1, 0, -3, 3]), '1.1.0b3');
    assert.equal(formatVersion([1, 2, 0, -4, 4]), '1.2.0a4');
    assert.equal(formatVersion([2, 0, 0, -2, 1]), '2.0.0rc1');
  });
});
