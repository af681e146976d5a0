// The chunk processor's create-specific paths: a file that outgrows its IV range ends early
// (never an IV outside the range), sparse maps, and --sparse cutting blocks at hole boundaries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ChunkProcessor, ivBlocksBound, sparseMap, type ProcessedChunk } from '../../src/archive/create/chunk-processor.js';
import { parseChunkerParams } from '../../src/chunker/index.js';
import { IvCounter } from '../../src/crypto/nonces.js';
import { Key } from '../../src/crypto/index.js';
import { ENVELOPE_OVERHEAD } from '../../src/crypto/envelope.js';
import { writeSparseFile } from '../helpers/tree-compare.js';

const key = Key.generate('repokey-blake2', randomBytes(32));

function drain(gen: Generator<ProcessedChunk[], { size: number; truncated: boolean }>): { chunks: ProcessedChunk[]; size: number; truncated: boolean } {
  const chunks: ProcessedChunk[] = [];
  for (;;) {
    const next = gen.next();
    if (next.done) return { chunks, ...next.value };
    chunks.push(...next.value);
  }
}

test('ChunkProcessor stops a file that outgrows its IV range after the last chunk that fits', () => {
  const dir = mkdtempSync(join(tmpdir(), 'borg-ts-proc-'));
  try {
    const params = parseChunkerParams('buzhash,10,16,12,4095');
    const path = join(dir, 'grown');
    writeFileSync(path, randomBytes(400_000));
    const processor = new ChunkProcessor({ keyMode: key.mode, material: key.material, compression: 'none', chunkerParams: params }, () => false);
    // Room for about 100 kB only, as if the file had been that small at the walk.
    const ivs = new IvCounter(1000n, 1000n + BigInt(ivBlocksBound(0, params, 'none')) + 6000n);
    const out = drain(processor.fileChunks(path, null, ivs));
    assert.equal(out.truncated, true);
    assert.ok(out.size > 0 && out.size < 400_000, `${out.size} bytes`);
    assert.equal(out.chunks.reduce((n, c) => n + c.size, 0), out.size);
    for (const c of out.chunks) {
      const iv = key.ivOf(c.envelope!)!;
      assert.ok(iv >= 1000n && iv + BigInt(Key.blocksFor(c.envelope!.length - ENVELOPE_OVERHEAD)) <= ivs.end!, 'inside the range');
    }
    // Reading continues normally with the next file.
    const again = drain(processor.fileChunks(path, null, new IvCounter(1n << 40n, (1n << 40n) + BigInt(ivBlocksBound(400_000, params, 'none')))));
    assert.equal(again.truncated, false);
    assert.equal(again.size, 400_000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sparseMap() and --sparse: data and hole ranges, blocks cut at range boundaries, holes not read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'borg-ts-proc-'));
  try {
    const path = join(dir, 'sparse');
    writeSparseFile(path, 1 << 20, [[200_000, 10_000]]);
    const fd = openSync(path, 'r');
    const map = sparseMap(fd, 0);
    closeSync(fd);
    assert.ok(map !== null);
    assert.deepEqual(map.map(([, , isData]) => isData), [false, true, false]);
    assert.equal(map.reduce((n, [, length]) => n + length, 0), 1 << 20);
    const params = parseChunkerParams('fixed,65536');
    const setup = { keyMode: key.mode, material: key.material, compression: 'lz4', chunkerParams: params };
    const sparse = drain(new ChunkProcessor({ ...setup, sparse: true }, () => false).fileChunks(path, null, new IvCounter(0n, 1n << 30n)));
    const plain = drain(new ChunkProcessor(setup, () => false).fileChunks(path, null, new IvCounter(1n << 31n, 1n << 32n)));
    assert.equal(sparse.size, 1 << 20);
    assert.equal(plain.chunks.length, 16);
    // The data range starts and ends inside blocks: they are cut there.
    assert.ok(sparse.chunks.length > plain.chunks.length);
    const [dataStart] = map[1]!;
    let offset = 0;
    const cuts = new Set(sparse.chunks.map((c) => (offset += c.size)));
    assert.ok(cuts.has(dataStart), 'a block ends where the data begins');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
