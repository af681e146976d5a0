// The parts of extract on their own: path safety, the file writer (batches, holes), the chunk
// reader (order and failures with an asynchronous opener), hard link planning, and aborting.
import assert from 'node:assert/strict';
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { readChunks, type ChunkSource } from '../../src/archive/extract/chunk-reader.js';
import { ItemWarning } from '../../src/archive/extract/errors.js';
import { FileWriter, isAllZero } from '../../src/archive/extract/file-writer.js';
import { HardlinkTracker } from '../../src/archive/extract/hardlinks.js';
import { pumpContent } from '../../src/archive/extract/item-writer.js';
import { ExtractTarget, extractionPath } from '../../src/archive/extract/safe-path.js';
import { S_IFIFO, S_IFLNK, S_IFREG, type ChunkRef, type Item } from '../../src/archive/item.js';
import type { Repository } from '../../src/repository/repository.js';
import { makeTempDir, removeTemp } from '../repository/repo-fixtures.js';

let work: string;
before(() => {
  work = makeTempDir();
});
after(() => removeTemp(work));

describe('extractionPath()', () => {
  it('normalises harmless spellings', () => {
    assert.equal(extractionPath('a/./b//c/'), 'a/b/c');
    assert.equal(extractionPath('.'), '');
    assert.equal(extractionPath(''), '');
    assert.equal(extractionPath('a..b/..c/d..'), 'a..b/..c/d..');
    assert.equal(extractionPath('\udcff-name'), '\udcff-name');
  });

  it('refuses what could leave the target', () => {
    for (const path of ['..', '../x', 'a/../../x', 'a/..', '/etc/passwd', '//x', 'a\0b']) {
      assert.throws(() => extractionPath(path), ItemWarning, path);
    }
  });
});

describe('ExtractTarget', () => {
  it('creates missing parents and refuses to go below a symlink or a file', () => {
    const root = join(work, 'target-1');
    const target = new ExtractTarget(root);
    target.ensureParents('a/b/c', true);
    assert.ok(target.hasDirectory('a/b'));
    symlinkSync('/tmp', join(root, 'link'));
    assert.throws(() => target.ensureParents('link/x', true), /symbolic link/);
    closeSync(openSync(join(root, 'file'), 'w'));
    assert.throws(() => target.ensureParents('file/x', true), /not a directory/);
    assert.throws(() => target.ensureParents('missing/x', false), { code: 'ENOENT' });
  });

  it('forgets a directory it removed', () => {
    const target = new ExtractTarget(join(work, 'target-2'));
    target.ensureParents('d/x', true);
    target.clear('d');
    assert.equal(target.hasDirectory('d'), false);
    symlinkSync('/tmp', join(target.root, 'd'));
    assert.throws(() => target.ensureParents('d/x', true), /symbolic link/);
  });
});

describe('FileWriter', () => {
  const write = async (name: string, chunks: Buffer[], sparse: boolean) => {
    const path = join(work, name);
    const fd = openSync(path, 'w');
    const writer = new FileWriter(fd, sparse);
    try {
      for (const chunk of chunks) await writer.write(chunk);
      await writer.finish();
      return { path, size: writer.size, blocks: fstatSync(fd).blocks };
    } finally {
      closeSync(fd);
    }
  };

  it('writes many small chunks and big ones in order', async () => {
    const chunks = Array.from({ length: 3000 }, (_, i) => Buffer.alloc(4096, i % 251));
    chunks.push(Buffer.alloc(9 * 1024 * 1024, 7), Buffer.from('end'));
    const { path, size } = await write('batched', chunks, false);
    assert.equal(size, 3000 * 4096 + 9 * 1024 * 1024 + 3);
    assert.ok(readFileSync(path).equals(Buffer.concat(chunks)));
  });

  it('leaves holes for zero chunks with sparse, including a trailing one', async () => {
    const data = Buffer.alloc(65536, 1);
    const zeros = Buffer.alloc(1024 * 1024);
    const { path, size, blocks } = await write('sparse', [data, zeros, data, zeros], true);
    assert.equal(size, 2 * 65536 + 2 * 1024 * 1024);
    assert.ok(readFileSync(path).equals(Buffer.concat([data, zeros, data, zeros])));
    assert.ok(blocks * 512 <= 4 * 65536, `${blocks} blocks`);
    const dense = await write('dense', [data, zeros, data, zeros], false);
    assert.ok(dense.blocks * 512 >= 2 * 1024 * 1024);
  });

  it('recognises zero chunks', () => {
    assert.equal(isAllZero(Buffer.alloc(0)), true);
    assert.equal(isAllZero(Buffer.alloc(100)), true);
    const almost = Buffer.alloc(100);
    almost[50] = 1;
    assert.equal(isAllZero(almost), false);
  });
});

describe('readChunks()', () => {
  const ids = Array.from({ length: 20 }, (_, i) => Buffer.alloc(32, i));
  const repository = {
    async *getMany(wanted: Iterable<Uint8Array>) {
      for (const id of wanted) yield Buffer.from(id);
    },
  } as unknown as Repository;

  it('yields in order while openers finish out of order', async () => {
    const source: ChunkSource = {
      repository,
      openChunk: async (id) => {
        await new Promise((resolve) => setTimeout(resolve, (20 - id[0]!) % 7));
        return Buffer.from([id[0]!]);
      },
    };
    const seen: number[] = [];
    for await (const data of readChunks(source, ids, 6)) seen.push(data[0]!);
    assert.deepEqual(seen, ids.map((_, i) => i));
  });

  it('raises an opener failure in its turn without unhandled rejections', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const source: ChunkSource = {
      repository,
      openChunk: async (id) => {
        if (id[0] === 3 || id[0] === 4) throw new Error(`bad ${id[0]}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
        return Buffer.from([id[0]!]);
      },
    };
    const seen: number[] = [];
    await assert.rejects(async () => {
      for await (const data of readChunks(source, ids, 8)) seen.push(data[0]!);
    }, /bad 3/);
    await new Promise((resolve) => setTimeout(resolve, 50));
    process.off('unhandledRejection', onUnhandled);
    assert.deepEqual(seen, [0, 1, 2]);
    assert.deepEqual(unhandled, []);
  });
});

describe('HardlinkTracker', () => {
  const chunks: ChunkRef[] = [{ id: Buffer.alloc(32), size: 5, csize: 9 }];
  const item = (path: string, extra: Partial<Item> = {}): Item => ({ path, mode: S_IFREG | 0o644, mtime: 0n, ...extra });

  it('links slaves to the extracted master', () => {
    const tracker = new HardlinkTracker();
    const master = item('m', { hardlinkMaster: true, chunks });
    tracker.observe(master, true);
    tracker.extracted(master, 'out/m');
    assert.deepEqual(tracker.plan(item('s', { source: 'm' })), { kind: 'link', target: 'out/m' });
  });

  it('gives a left-out master\'s chunks to the first slave only', () => {
    const tracker = new HardlinkTracker();
    tracker.observe(item('m', { hardlinkMaster: true, chunks, size: 5 }), false);
    const first = item('s1', { source: 'm' });
    assert.deepEqual(tracker.plan(first), { kind: 'extract', chunks, size: 5 });
    tracker.extracted(first, 's1');
    assert.deepEqual(tracker.plan(item('s2', { source: 'm' })), { kind: 'link', target: 's1' });
  });

  it('refuses sources that are not extracted masters', () => {
    const tracker = new HardlinkTracker();
    tracker.observe(item('single', { hardlinkMaster: false, chunks }), false);
    tracker.observe(item('link', { mode: S_IFLNK | 0o777, source: 'x' }), false);
    for (const source of ['single', 'link', '../../etc/passwd', 'unknown']) {
      assert.deepEqual(tracker.plan(item('s', { source })), { kind: 'missing' }, source);
    }
    const fifo = item('f', { mode: S_IFIFO | 0o644, hardlinkMaster: true });
    tracker.observe(fifo, true);
    tracker.failed(fifo);
    assert.deepEqual(tracker.plan(item('s', { mode: S_IFIFO | 0o644, source: 'f' })), { kind: 'missing' });
  });
});

describe('aborting', () => {
  it('stops between chunks when the signal fires', async () => {
    mkdirSync(join(work, 'abort'), { recursive: true });
    const controller = new AbortController();
    const ids = Array.from({ length: 5 }, (_, i) => Buffer.alloc(32, i));
    const repository = {
      async *getMany(wanted: Iterable<Uint8Array>) {
        for (const id of wanted) yield Buffer.from(id);
      },
    } as unknown as Repository;
    const source: ChunkSource = {
      repository,
      openChunk: (id) => {
        if (id[0] === 2) controller.abort(new Error('stop'));
        return Buffer.from(id);
      },
    };
    // pumpContent checks the signal for every chunk.
    const got: number[] = [];
    await assert.rejects(
      pumpContent({ chunks: ids.map((id) => ({ id, size: 32, csize: 40 })), size: undefined, damaged: false },
        { chunks: source, sparse: false, signal: controller.signal }, (data) => void got.push(data[0]!)),
      /stop/,
    );
    assert.ok(got.length <= 3, `stopped early (${got.length})`);
  });
});
