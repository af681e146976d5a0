import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Key } from '../../src/crypto/key.js';
import {
  IvCounter,
  IvRangeExhausted,
  manifestNonce,
  NONCE_SPACE_RESERVATION,
  NonceManager,
  type NonceStore,
} from '../../src/crypto/nonces.js';
import { loadDump, readObjectEnvelope, REPOS_DIR, vectorMaterial, vectors } from './fixtures.js';

/** An in-memory store that checks the compare-and-swap contract and records every commit. */
class MemoryStore implements NonceStore {
  commits: Array<['repo' | 'local', bigint]> = [];
  constructor(public repo: bigint | null = null, public local: bigint | null = null) {}
  async getRepoNonce(): Promise<bigint | null> {
    return this.repo;
  }
  async commitRepoNonce(next: bigint, start: bigint | null): Promise<void> {
    assert.equal(start, this.repo, 'repo compare-and-swap');
    this.repo = next;
    this.commits.push(['repo', next]);
  }
  getLocalNonce(): bigint | null {
    return this.local;
  }
  setLocalNonce(next: bigint, start: bigint | null): void {
    assert.equal(start, this.local, 'local compare-and-swap');
    this.local = next;
    this.commits.push(['local', next]);
  }
}

const R = NONCE_SPACE_RESERVATION;

describe('NonceManager.ensureReservation()', () => {
  it('reproduces the reservation borg writes at init (000000001000001c)', async () => {
    const store = new MemoryStore();
    const manager = new NonceManager(store, 0n);
    // The manifest written by init: a 448-byte payload = 28 AES blocks at IV 0.
    assert.equal(await manager.ensureReservation(0n, 28), 0n);
    const hexValue = store.repo!.toString(16).padStart(16, '0');
    assert.equal(hexValue, vectors.nonce_example['example_reservation_file_content_for_value_0x1000001c']);
    assert.equal(store.local, store.repo);
    assert.deepEqual(store.commits.map((c) => c[0]), ['repo', 'local']);
  });

  it('keeps the IV while the reservation covers it, then jumps to a new reservation', async () => {
    const store = new MemoryStore();
    const manager = new NonceManager(store, 100n);
    assert.equal(await manager.ensureReservation(100n, 10), 100n);
    const end = 100n + 10n + R;
    assert.equal(manager.endOfReservation, end);
    assert.equal(await manager.ensureReservation(110n, 1000), 110n);
    assert.equal(store.commits.length, 2, 'no new commit inside the reservation');
    assert.equal(await manager.ensureReservation(end - 5n, 10), end);
    assert.equal(manager.endOfReservation, end + 10n + R);
    assert.equal(store.repo, end + 10n + R);
    await assert.rejects(manager.ensureReservation(end + 20n + R, 1), RangeError);
  });

  it('starts after the highest of repo, local, manifest and previous reservation', async () => {
    for (const [repo, local, manifest, expected] of [
      [500n, 300n, 10n, 500n],
      [300n, 700n, 10n, 700n],
      [null, null, 42n, 42n],
      [5n, null, 42n, 42n],
    ] as Array<[bigint | null, bigint | null, bigint, bigint]>) {
      const store = new MemoryStore(repo, local);
      const manager = new NonceManager(store, manifest);
      assert.equal(await manager.ensureReservation(manifest, 3), expected);
      assert.equal(store.repo, expected + 3n + R);
      assert.equal(store.local, expected + 3n + R);
    }
  });

  it('refuses to commit when the local nonce changed under it', async () => {
    const store = new MemoryStore();
    let reads = 0;
    store.getLocalNonce = () => (reads++ === 0 ? null : 99n);
    await assert.rejects(new NonceManager(store, 0n).ensureReservation(0n, 1), /changed concurrently/);
  });
});

describe('NonceManager.reserveRange()', () => {
  it('hands out disjoint ranges from one reservation, reserving again when it runs out', async () => {
    const store = new MemoryStore(1000n, null);
    const manager = new NonceManager(store, 0n);
    const a = await manager.reserveRange(1000);
    const b = await manager.reserveRange(2000);
    assert.deepEqual(a, { start: 1000n, end: 2000n });
    assert.deepEqual(b, { start: 2000n, end: 4000n });
    assert.equal(store.commits.length, 2);
    const big = await manager.reserveRange(Number(R));
    assert.ok(big.start >= b.end);
    assert.equal(big.start, 1000n + 1000n + R, 'the counter jumps to the end of the old reservation');
    assert.equal(manager.endOfReservation, big.end + R);
    // ensureReservation on the shared cursor never re-issues a handed-out value.
    const iv = await manager.ensureReservation(big.end, 5);
    assert.equal(iv, big.end);
    const next = await manager.reserveRange(1);
    assert.equal(next.start, big.end + 5n);
    await assert.rejects(manager.reserveRange(0), RangeError);
  });
});

describe('IvCounter', () => {
  it('advances by the AES blocks of each payload and stops at its range end', () => {
    const counter = IvCounter.fromRange({ start: 10n, end: 20n });
    assert.equal(counter.take(Key.blocksFor(33)), 10n);
    assert.equal(counter.next, 13n);
    assert.equal(counter.remaining, 7n);
    assert.equal(counter.canTake(8), false);
    assert.throws(() => counter.take(8), IvRangeExhausted);
    assert.equal(counter.take(7), 13n);
    assert.throws(() => counter.refill({ start: 15n, end: 30n }), RangeError);
    counter.refill({ start: 100n, end: 200n });
    assert.equal(counter.take(1), 100n);
    const unbounded = new IvCounter(0n);
    assert.equal(unbounded.remaining, null);
    assert.equal(unbounded.take(1e9), 0n);
    assert.equal(unbounded.next, 1_000_000_000n);
  });
});

describe('manifestNonce()', () => {
  it('is 0 for a new repository and IV + envelope blocks otherwise', () => {
    const key = Key.fromMaterial('repokey', vectorMaterial('repokey'));
    assert.equal(manifestNonce(key, null), 0n);
    const env = key.seal(Buffer.alloc(100), 77n);
    assert.equal(manifestNonce(key, env), 77n + BigInt(Key.blocksFor(141)));
    assert.equal(manifestNonce(Key.generate('authenticated', Buffer.alloc(32)), Buffer.from([7, 0, 0])), 0n);
  });

  it('follows the IV sequence of a real borg session', () => {
    // repo-repokey: init reserved up to 0x1000001c; create started below that, so its first object
    // jumped to 0x1000001c, and every later object (in write order) used IV + blocks of the previous.
    for (const repo of ['repo-repokey', 'repo-repokey-blake2', 'repo-keyfile-blake2']) {
      const written = loadDump(repo)
        .objects.filter((o) => o.iv !== undefined)
        .sort((a, b) => a.segment - b.segment || a.offset - b.offset);
      const counter = new IvCounter(0x1000001cn);
      for (const o of written) {
        assert.equal(Key.blocksFor(o.csize - 41), o.aes_blocks);
        assert.equal(counter.take(o.aes_blocks!), BigInt(o.iv!), `${repo} object at ${o.segment}/${o.offset}`);
      }
      const manifest = written.at(-1)!;
      assert.equal(manifest.kind, 'manifest');
      const stored = readObjectEnvelope(repo, manifest.segment, manifest.offset).envelope;
      const key = Key.fromMaterial('repokey', vectorMaterial('repokey'));
      assert.equal(manifestNonce(key, stored), BigInt(manifest.iv!) + BigInt(Key.blocksFor(manifest.csize)));
      assert.match(readFileSync(join(REPOS_DIR, repo, 'nonce'), 'utf8'), /^[0-9a-f]{16}$/);
    }
  });
});
