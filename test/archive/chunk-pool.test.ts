// The chunk pool gives the same chunks with workers as inline, never reuses an IV, and skips
// sealing chunks the shared chunk index already knows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ChunkPool, FileReadError } from '../../src/archive/create/chunk-pool.js';
import { ivBlocksBound, type ProcessedChunk } from '../../src/archive/create/chunk-processor.js';
import { Key } from '../../src/crypto/index.js';
import { ChunkIndex } from '../../src/format/hashindex.js';
import { parseChunkerParams } from '../../src/chunker/index.js';

const params = parseChunkerParams('buzhash,10,16,12,4095');

function setup(key: Key) {
  return { keyMode: key.mode, material: key.material, compression: 'lz4', chunkerParams: params, readSize: 1 << 16 };
}

async function run(pool: ChunkPool, files: string[], ivBase: bigint): Promise<ProcessedChunk[][]> {
  let ivStart = ivBase;
  const out: ProcessedChunk[][] = [];
  await Promise.all(files.map((path, i) => {
    const blocks = BigInt(ivBlocksBound(300_000, params, 'lz4'));
    const task = { path, identity: null, ivStart, ivEnd: ivStart + blocks, noatime: false, onChunks: (c: ProcessedChunk[]) => { (out[i] ??= []).push(...c); } };
    ivStart += blocks;
    return pool.processFile(task);
  }));
  return out;
}

test('ChunkPool: workers produce the same chunks as inline processing, with distinct IVs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'borg-ts-pool-'));
  try {
    const files: string[] = [];
    for (let i = 0; i < 6; i++) {
      const p = join(dir, `f${i}`);
      writeFileSync(p, i === 5 ? Buffer.alloc(200_000) : randomBytes(100_000 + i * 20_000));
      files.push(p);
    }
    const key = Key.generate('repokey-blake2', randomBytes(32));
    const inline = new ChunkPool(setup(key), 1, () => false, null);
    const parallel = new ChunkPool(setup(key), 2, () => false, null);
    try {
      const a = await run(inline, files, 0n);
      const b = await run(parallel, files, 1n << 40n);
      assert.deepEqual(b.map((l) => l.map((c) => c.id.toString('hex'))), a.map((l) => l.map((c) => c.id.toString('hex'))));
      const seen = new Set<string>();
      for (const list of b) {
        for (const c of list) {
          assert.ok(c.envelope);
          assert.ok(key.open(c.envelope).length >= 2);
          const iv = key.ivOf(c.envelope)!.toString();
          assert.ok(!seen.has(iv), 'every IV is used once');
          seen.add(iv);
        }
      }
    } finally {
      await inline.close();
      await parallel.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ChunkPool: chunks known to the shared chunk index are not sealed again; read errors are reported', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'borg-ts-pool-'));
  try {
    const p = join(dir, 'data');
    writeFileSync(p, randomBytes(150_000));
    const key = Key.generate('repokey', randomBytes(32));
    const index = new ChunkIndex({ shared: true });
    const table = () => ({ buffer: index.table.buffer as SharedArrayBuffer, numBuckets: index.table.numBuckets, valueWords: 3 });
    const first = new ChunkPool(setup(key), 2, () => false, table());
    const got: ProcessedChunk[] = [];
    await first.processFile({ path: p, identity: null, ivStart: 0n, ivEnd: 1n << 30n, noatime: false, onChunks: (c) => { got.push(...c); } });
    for (const c of got) index.add(c.id, 1, c.size, c.csize);
    first.updateTable(table());
    const again: ProcessedChunk[] = [];
    await first.processFile({ path: p, identity: null, ivStart: 1n << 30n, ivEnd: 1n << 31n, noatime: false, onChunks: (c) => { again.push(...c); } });
    assert.deepEqual(again.map((c) => c.id.toString('hex')), got.map((c) => c.id.toString('hex')));
    assert.ok(again.every((c) => c.envelope === null), 'known chunks are skipped');
    await assert.rejects(first.processFile({ path: join(dir, 'missing'), identity: null, ivStart: 0n, ivEnd: 10n, noatime: false, onChunks: () => {} }),
      (e: unknown) => e instanceof FileReadError && e.code === 'ENOENT');
    await first.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** 3 MiB of random data, a run of zeros with a little text in it, and repetitive text. */
function mixedFile(path: string): Buffer {
  const text = Buffer.from(Array.from({ length: 40_000 }, (_, i) => `line ${i} of a log file, level ${i % 7}\n`).join('')).subarray(0, 1 << 20);
  const zeros = Buffer.alloc(1 << 20);
  zeros.write('a marker in the zeros', 300_000);
  const data = Buffer.concat([randomBytes(1 << 20), zeros, text, randomBytes(123_457)]);
  writeFileSync(path, data);
  return data;
}

/** The chunks of one sequential read of `path` on the main thread. */
async function readInline(key: Key, path: string): Promise<ProcessedChunk[]> {
  const inline = new ChunkPool(setup(key), 1, () => false, null);
  const chunks: ProcessedChunk[] = [];
  await inline.processFile({ path, identity: null, ivStart: 0n, ivEnd: 1n << 30n, noatime: false, onChunks: (c) => { chunks.push(...c); } });
  await inline.close();
  return chunks;
}

test('ChunkPool: a big file split among workers gives the chunks of one sequential read, each IV once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'borg-ts-pool-'));
  try {
    const path = join(dir, 'big');
    const data = mixedFile(path);
    const key = Key.generate('repokey', randomBytes(32));
    const sequential = await readInline(key, path);
    // lookahead 0 makes some parts fail to join, so that re-reading from the last exact cut runs too.
    for (const lookahead of [2, 0]) {
      const pool = new ChunkPool(setup(key), 2, () => false, null, { segmentBytes: 256 << 10, lookahead });
      assert.ok(pool.splits(data.length, false));
      let nextIv = 1n << 40n;
      const ranges: Array<[bigint, bigint]> = [];
      const got: ProcessedChunk[] = [];
      const outcome = await pool.processFile({
        path, identity: null, ivStart: 0n, ivEnd: 0n, noatime: false, sizeHint: data.length,
        onChunks: (c) => { got.push(...c); },
        reserveIvs: async (blocks) => {
          const range: [bigint, bigint] = [nextIv, nextIv + BigInt(blocks)];
          nextIv += BigInt(blocks);
          ranges.push(range);
          return range;
        },
      });
      await pool.close();
      assert.equal(outcome.size, data.length);
      assert.equal(outcome.truncated, false);
      assert.ok(ranges.length >= 12, 'one IV range per part');
      if (lookahead === 0) assert.ok(ranges.length > 12, `some parts are read again (${ranges.length} ranges)`);
      assert.deepEqual(got.map((c) => `${c.id.toString('hex')}:${c.size}`), sequential.map((c) => `${c.id.toString('hex')}:${c.size}`), `lookahead ${lookahead}`);
      const seen = new Set<string>();
      let offset = 0;
      for (const c of got) {
        // Chunks at a join may arrive unsealed (the caller seals them); the rest open to the file's bytes.
        if (c.envelope) {
          key.open(c.envelope); // authenticates
          const iv = key.ivOf(c.envelope)!;
          assert.ok(ranges.some(([s, e]) => iv >= s && iv < e), 'IVs come from the reserved ranges');
          assert.ok(!seen.has(iv.toString()), 'every IV is used once');
          seen.add(iv.toString());
        }
        assert.ok(key.idHash(data.subarray(offset, offset + c.size)).equals(c.id));
        offset += c.size;
      }
      assert.ok(got.filter((c) => c.envelope === null).length < got.length / 4, 'nearly all chunks are sealed by the workers');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ChunkPool: a split file that shrank or grew since the walk still gives the chunks of a sequential read', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'borg-ts-pool-'));
  try {
    const path = join(dir, 'big');
    const data = mixedFile(path);
    const key = Key.generate('repokey', randomBytes(32));
    const sequential = await readInline(key, path);
    // The size the walk saw: far more than the file has now (it shrank), or far less (it grew).
    for (const sizeHint of [data.length * 3, data.length >> 1]) {
      const pool = new ChunkPool(setup(key), 2, () => false, null, { segmentBytes: 256 << 10 });
      let nextIv = 1n << 40n;
      const got: ProcessedChunk[] = [];
      const outcome = await pool.processFile({
        path, identity: null, ivStart: 0n, ivEnd: 0n, noatime: false, sizeHint, onChunks: (c) => { got.push(...c); },
        reserveIvs: async (blocks) => {
          const range: [bigint, bigint] = [nextIv, nextIv + BigInt(blocks)];
          nextIv += BigInt(blocks);
          return range;
        },
      });
      await pool.close();
      assert.equal(outcome.size, data.length, `size hint ${sizeHint}`);
      assert.deepEqual(got.map((c) => `${c.id.toString('hex')}:${c.size}`), sequential.map((c) => `${c.id.toString('hex')}:${c.size}`), `size hint ${sizeHint}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
