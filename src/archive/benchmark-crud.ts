// `benchmark crud`: how fast archives are created, read, updated (a no-change backup with the
// files cache) and deleted, measured with borg's input sets (big, medium and small files, all
// zeros or random) by running the library's own create, extract (dry run) and delete on the real
// repository, each step opening the repository as its command would.
import { mkdirSync, openSync, closeSync, fsyncSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { ChunkCache } from '../cache/cache-types.js';
import type { FilesCacheMode } from '../cache/files-cache.js';
import { openArchive } from './archive-reader.js';
import { createArchive } from './create/create-archive.js';
import { CREATE_DEFAULTS } from './create/create-options.js';
import { deleteArchives } from './delete-archives.js';
import { extractArchive } from './extract/index.js';
import type { RepositorySession } from './repository-session.js';

export interface CrudTest {
  /** Label, e.g. "Z-BIG". */
  name: string;
  count: number;
  /** Bytes per file. */
  size: number;
  random: boolean;
}

/** borg's input sets: 1 GB of big files, 1 GB of medium ones, 100 MB of small ones; zeros and random. */
export const CRUD_TESTS: readonly CrudTest[] = [
  { name: 'Z-BIG', count: 10, size: 100_000_000, random: false },
  { name: 'R-BIG', count: 10, size: 100_000_000, random: true },
  { name: 'Z-MEDIUM', count: 1000, size: 1_000_000, random: false },
  { name: 'R-MEDIUM', count: 1000, size: 1_000_000, random: true },
  { name: 'Z-SMALL', count: 10000, size: 10_000, random: false },
  { name: 'R-SMALL', count: 10000, size: 10_000, random: true },
];

/** borg's tiny sets for its own test suite (selected by _BORG_BENCHMARK_CRUD_TEST). */
export const CRUD_SELFTEST: readonly CrudTest[] = [
  { name: 'Z-TEST', count: 1, size: 1, random: false },
  { name: 'R-TEST', count: 1, size: 1, random: true },
];

export interface CrudTimes {
  /** Seconds per operation. */
  create: number;
  read: number;
  update: number;
  delete: number;
}

export interface BenchmarkCrudOptions {
  /** Opens the repository for writing (exclusive lock), as `create` and `delete` do. */
  openSession: (exclusive: boolean) => Promise<RepositorySession>;
  /** Opens the session's cache with a files cache mode (create) or without one. */
  openCache: (session: RepositorySession, filesCacheMode: FilesCacheMode) => Promise<ChunkCache>;
  /** Chunk workers for create. */
  workers: number;
  /** Default: CRUD_TESTS. */
  tests?: readonly CrudTest[];
  /** Receives each test's times as soon as they are measured. */
  onResult?: (test: CrudTest, times: CrudTimes) => void;
  signal?: AbortSignal;
}

const ARCHIVE = 'borg-benchmark-crud';

/** Writes the input files (synced, so that the create measures reading, not the page cache's writeback). */
function writeTestFiles(dir: string, test: CrudTest): void {
  mkdirSync(dir);
  const zeros = test.random ? null : Buffer.alloc(test.size);
  for (let i = 0; i < test.count; i++) {
    const fd = openSync(join(dir, `file_${i}`), 'w');
    try {
      const data = zeros ?? randomBytes(test.size);
      for (let done = 0; done < data.length;) done += writeSync(fd, data, done);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

async function timed(task: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await task();
  return (performance.now() - start) / 1000;
}

/** Runs the benchmark with input data written below `path`; returns the times of every test. */
export async function benchmarkCrud(path: string, options: BenchmarkCrudOptions): Promise<Array<{ test: CrudTest; times: CrudTimes }>> {
  const withSession = async (exclusive: boolean, filesCache: FilesCacheMode, work: (session: RepositorySession, cache: ChunkCache) => Promise<unknown>) => {
    const session = await options.openSession(exclusive);
    try {
      const cache = await options.openCache(session, filesCache);
      try {
        await work(session, cache);
      } finally {
        await cache.close();
      }
    } finally {
      await session.close();
    }
  };
  const create = (name: string, data: string, filesCache: FilesCacheMode) => withSession(true, filesCache, async (session, cache) => {
    await createArchive(session, cache, {
      ...CREATE_DEFAULTS, name, paths: [data], cmdline: ['borg-ts', 'benchmark', 'crud'], cwd: path, compression: 'none', workers: options.workers,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    // An interrupted backup left a checkpoint behind: the benchmark ends here.
    options.signal?.throwIfAborted();
  });
  const remove = (name: string) => withSession(true, 'd', (session, cache) => deleteArchives(session, cache, [name]));
  const read = (name: string) => withSession(false, 'd', async (session) => {
    await extractArchive(session, await openArchive(session, name), { dryRun: true, ...(options.signal ? { signal: options.signal } : {}) });
  });

  const results: Array<{ test: CrudTest; times: CrudTimes }> = [];
  for (const test of options.tests ?? CRUD_TESTS) {
    const data = join(path, 'borg-test-data');
    let times: CrudTimes;
    try {
      writeTestFiles(data, test);
      const createTime = await timed(() => create(`${ARCHIVE}1`, data, 'd'));
      // A second backup builds the files cache that the no-change update then uses.
      await create(`${ARCHIVE}2`, data, 'cis');
      await remove(`${ARCHIVE}2`);
      const updateTime = await timed(() => create(`${ARCHIVE}3`, data, 'cis'));
      await remove(`${ARCHIVE}3`);
      const readTime = await timed(() => read(`${ARCHIVE}1`));
      const deleteTime = await timed(() => remove(`${ARCHIVE}1`));
      times = { create: createTime, read: readTime, update: updateTime, delete: deleteTime };
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
    options.onResult?.(test, times);
    results.push({ test, times });
  }
  return results;
}
