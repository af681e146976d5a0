// `borg-ts benchmark crud REPOSITORY PATH`: create/read/update/delete speed on a real repository,
// printed in borg's format, one line per operation and input set.

import { resolve } from 'node:path';

import type { CrudTest, CrudTimes } from '../../archive/benchmark-crud.js';
import { formatValue, PyFloat } from '../../archive/placeholders.js';
import type { Location } from '../../remote/location.js';
import { locationArgument } from '../arg-types.js';
import { defineCommand, type CommandGroup } from '../command.js';
import type { CommandContext } from '../context.js';
import { formatFileSize } from '../file-size.js';
import { openSession } from './list.js';
import { repositoryAccess } from './repository-access.js';

export const benchmarkGroup: CommandGroup = {
  group: true, name: 'benchmark', summary: 'benchmark command', description: 'Benchmark command',
};

const EPILOG = `Measures how fast borg-ts creates, reads (extract --dry-run), updates (a backup of
unchanged files, which the files cache skips) and deletes archives, in the repository REPOSITORY
(it must exist; archives named borg-benchmark-crud* are made and deleted there). The input data
is written below PATH: about 1 GB at a time, so make sure there is room (and as much again in
the repository).

Six input sets are used: 10 files of 100 MB, 1000 of 1 MB and 10000 of 10 kB, each all zeros
(Z-...) or random (R-...). Zeros are the cheapest case (everything deduplicates, compression
would be perfect); random data the most expensive (nothing deduplicates). The data is stored
without compression. Each line gives the throughput and the time of one operation:

C-Z-BIG   create   R-Z-BIG   read   U-Z-BIG   update   D-Z-BIG   delete

Real data lies somewhere in between; the numbers say nothing about how a given tree will
perform, only how fast the machinery is.`;

/** One output line: "C-Z-BIG        116.06 MB/s (10 * 100.00 MB all-zero files: 8.62s)". */
function line(op: string, test: CrudTest, seconds: number): string {
  const megabytes = (test.count * test.size) / 1e6;
  const content = test.random ? 'random' : 'all-zero';
  return `${op}-${test.name.padEnd(10)} ${formatValue(new PyFloat(megabytes / seconds), '9.2f')} MB/s `
    + `(${test.count} * ${formatFileSize(test.size)} ${content} files: ${formatValue(new PyFloat(seconds), '.2f')}s)`;
}

function printTimes(ctx: CommandContext, test: CrudTest, times: CrudTimes): void {
  ctx.print(`${[line('C', test, times.create), line('R', test, times.read), line('U', test, times.update), line('D', test, times.delete)].join('\n')}\n`);
}

export const benchmarkCrudCommand = defineCommand<{ location: Location; path: string }>({
  name: 'benchmark crud',
  summary: 'benchmarks borg CRUD (create, extract, update, delete)',
  description: 'Benchmark Create, Read, Update, Delete for archives.',
  epilog: EPILOG,
  arguments: [
    locationArgument({ metavar: 'REPOSITORY', description: 'repository to use for benchmark (must exist)', archive: 'forbidden' }),
    { name: 'path', metavar: 'PATH', description: 'path were to create benchmark input data' },
  ],
  async handler(ctx, { location, path }) {
    const access = repositoryAccess(ctx);
    // loaded on use, see index.ts
    const [{ benchmarkCrud, CRUD_SELFTEST, CRUD_TESTS }, { defaultWorkerCount }, { openCache }] = await Promise.all([
      import('../../archive/benchmark-crud.js'), import('../../archive/create/chunk-pool.js'), import('../../cache/cache.js'),
    ]);
    const workers = defaultWorkerCount(ctx.env);
    await benchmarkCrud(resolve(ctx.cwd, path), {
      workers,
      tests: '_BORG_BENCHMARK_CRUD_TEST' in ctx.env ? CRUD_SELFTEST : CRUD_TESTS,
      openSession: (exclusive) => openSession(ctx, location, { exclusive, operation: exclusive ? 'write' : 'read' }),
      openCache: (session, filesCacheMode) => openCache(session, {
        env: access.env, lockWait: access.lockWait, confirm: access.confirm, log: ctx.logger, warnings: ctx.warnings,
        filesCacheMode, sharedChunkIndex: workers > 1,
      }),
      onResult: (test, times) => printTimes(ctx, test, times),
      signal: ctx.signal,
    });
  },
});
