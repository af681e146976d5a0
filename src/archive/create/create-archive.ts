// `createArchive`: a backup of file system objects (or a stream) into a new archive — borg's
// `create`, with the per-byte work on all cores (see create-run.ts for how the parts fit).
import type { Statistics } from '../../cache/cache-stats.js';
import type { ChunkCache } from '../../cache/cache-types.js';
import { checkArchiveName } from '../archive-name.js';
import { ArchiveAlreadyExists } from '../errors.js';
import type { RepositorySession } from '../repository-session.js';
import type { CreateOptions } from './create-options.js';
import { CreateRun } from './create-run.js';
import { DryRunObjects, type ObjectHandler } from './fs-objects.js';
import { previousArchiveSize, startPrescan, type Prescan } from './prescan.js';
import { storeCommandOutput, storeCommandPaths, storeListedPaths, storeStdin } from './special-inputs.js';
import { Walker } from './walker.js';

export interface CreatedArchive {
  name: string;
  id: Buffer;
  /** Microseconds since the epoch, as stored (--timestamp moves both). */
  start: bigint;
  end: bigint;
  /** Seconds the backup took. */
  duration: number;
  /** What borg reports as "This archive" (see create-stats.ts). */
  stats: Statistics;
  /** The metadata object's share of the largest object borg can store (its item list grows with the archive). */
  maxArchiveSize: number;
}

export interface CreateResult {
  /** The saved archive; null when the backup was interrupted (a checkpoint archive remains). */
  archive: CreatedArchive | null;
  interrupted: boolean;
  /** Warnings reported (files that could not be read, changed while read, ...). */
  warnings: number;
}

function stdinOf(options: CreateOptions): AsyncIterable<Buffer | string> {
  if (options.stdin === undefined) throw new TypeError('createArchive: reading stdin needs options.stdin');
  return options.stdin as AsyncIterable<Buffer | string>;
}

/** Feeds the inputs of `options` to `handler` (and, for streams, to `run`). */
async function backUpInputs(options: CreateOptions, handler: ObjectHandler, walker: Walker, run: CreateRun | null): Promise<void> {
  switch (options.input) {
    case 'content-from-command':
      if (run === null) handler.line('-', options.stdinItem.name);
      else await storeCommandOutput(run, options.paths, options.stdinItem);
      return;
    case 'paths-from-command':
      return storeCommandPaths(handler, options.paths, options.pathsDelimiter, options.cwd, options.signal);
    case 'paths-from-stdin':
      return storeListedPaths(handler, stdinOf(options), options.pathsDelimiter, options.cwd, options.signal);
    case 'paths':
      for (const path of options.paths) {
        if (path !== '-') await walker.walkRoot(path);
        else if (run === null) handler.line('-', options.stdinItem.name);
        else await storeStdin(run, stdinOf(options), options.stdinItem);
        if (run?.aborted) return;
      }
  }
}

function newWalker(handler: ObjectHandler, options: CreateOptions): Walker {
  const walker = new Walker(handler, options, options.cwd, !(options.noxattrs && options.noacls));
  for (const path of options.skipPaths) walker.skip(path);
  return walker;
}

/**
 * `create --dry-run`: walks the inputs as a backup would and reports every object with status '-'
 * (excluded ones with 'x'); the repository is not touched.
 */
export async function dryRunCreate(options: CreateOptions): Promise<{ warnings: number }> {
  let warnings = 0;
  const handler = new DryRunObjects((status, path) => options.fileStatus?.(status, path), (record) => {
    warnings += 1;
    options.warnings?.warn(record);
  });
  await backUpInputs(options, handler, newWalker(handler, options), null);
  return { warnings };
}

/** Starts the estimate of the total size for progress, if asked for. */
async function startEstimate(session: RepositorySession, run: CreateRun, options: CreateOptions): Promise<Prescan | null> {
  if (!options.estimate || !run.progress.enabled) return null;
  const previous = await previousArchiveSize(session, options.name);
  if (previous !== null) {
    run.progress.setEstimate(previous);
    return null;
  }
  if (options.input !== 'paths') return null;
  const prescan = startPrescan(options.paths.filter((p) => p !== '-'), options, options.skipPaths, options.cwd);
  void prescan.result.then((r) => {
    if (r !== null) run.progress.setEstimate(r.size);
  });
  return prescan;
}

/**
 * Backs up `options.paths` (or the stream / path list `options.input` names) into a new archive
 * `options.name` and commits it together with `cache`. The session must be open for writing
 * (exclusive lock) and `cache` in sync with it. With `options.signal` aborted, a checkpoint
 * of what was stored so far is committed and `interrupted` is returned.
 */
export async function createArchive(session: RepositorySession, cache: ChunkCache, options: CreateOptions): Promise<CreateResult> {
  checkArchiveName(options.name);
  if (session.manifest.archives.has(options.name)) throw new ArchiveAlreadyExists(options.name);
  const run = new CreateRun(session, cache, options);
  let prescan: Prescan | null = null;
  try {
    prescan = await startEstimate(session, run, options);
    await backUpInputs(options, run.objects, newWalker(run.objects, options), run);
    const settled = !run.aborted && (await run.settle());
    if (!settled) {
      await run.interrupt();
      return { archive: null, interrupted: true, warnings: run.warningCount };
    }
    run.progress.finish();
    const { result, stats } = await run.lock.run(() => run.saver.final());
    return {
      archive: {
        name: options.name, id: result.saved.id, start: result.start, end: result.end, duration: result.duration, stats,
        maxArchiveSize: result.maxArchiveSize,
      },
      interrupted: false,
      warnings: run.warningCount,
    };
  } finally {
    await prescan?.stop();
    await run.close();
  }
}
