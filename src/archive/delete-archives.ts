// `delete ARCHIVE...` (spec §8.7): archives are released one after the other through the cache
// (delete-archive.ts) and the manifest is committed every --checkpoint-interval seconds, so that
// deleting many archives does not lose everything to a crash, and once at the end. An interrupt
// (the AbortSignal) stops between two archives after committing what was done.
//
// `--force --force` is the last resort for archives that cannot even be read: they only leave the
// manifest; their chunks stay behind as orphans until `borg check --repair` collects them.
import { Statistics } from '../cache/cache-stats.js';
import type { ChunkCache } from '../cache/cache-types.js';
import { SILENT_LOG, type LogSink, type ProgressSink } from '../progress.js';
import { decrefArchive } from './delete-archive.js';
import type { ArchiveEntry } from './manifest.js';
import type { RepositorySession } from './repository-session.js';

export interface DeleteArchivesOptions {
  /** Report what would be deleted; change nothing. */
  dryRun?: boolean;
  /** How often --force was given: 1 tolerates damaged archives, 2 only edits the manifest. */
  forced?: number;
  considerPartFiles?: boolean;
  /** Seconds between intermediate commits; 0 disables them. Default 1800. */
  checkpointInterval?: number;
  /** Called before an archive is deleted (or would be, in a dry run); `index` counts from 1. */
  onArchive?: (entry: ArchiveEntry, index: number, total: number) => void;
  /** Called for a name the manifest does not list. */
  onMissing?: (name: string, index: number, total: number) => void;
  /** Receives borg's warnings about corrupted archives deleted by force. */
  log?: LogSink;
  progress?: ProgressSink;
  signal?: AbortSignal;
}

export interface DeleteArchivesResult {
  /** Sizes released (negative); "deduplicated" is what the repository will shrink by after compact. */
  stats: Statistics;
  /** Archives deleted (or that would be, in a dry run). */
  deleted: number;
  /** Stopped early by the signal (after committing what was deleted). */
  interrupted: boolean;
}

/**
 * Deletes the archives `names` (in that order) and commits. The session must hold the exclusive
 * lock and `cache` be in sync with it.
 */
export async function deleteArchives(session: RepositorySession, cache: ChunkCache, names: readonly string[], options: DeleteArchivesOptions = {}): Promise<DeleteArchivesResult> {
  const stats = new Statistics();
  const log = options.log ?? SILENT_LOG;
  const interval = options.checkpointInterval ?? 1800;
  const result: DeleteArchivesResult = { stats, deleted: 0, interrupted: false };
  const checkpoint = async (): Promise<void> => {
    await session.commit();
    await cache.commit();
  };
  let lastCheckpoint = performance.now();
  let uncommitted = 0;
  for (const [i, name] of names.entries()) {
    if (options.signal?.aborted) {
      result.interrupted = true;
      break;
    }
    const entry = session.manifest.archives.get(name);
    if (entry === undefined) {
      options.onMissing?.(name, i + 1, names.length);
      continue;
    }
    options.onArchive?.(entry, i + 1, names.length);
    result.deleted += 1;
    if (options.dryRun) continue;
    const { corrupted } = await decrefArchive(session, cache, name, stats, {
      forced: (options.forced ?? 0) > 0, considerPartFiles: options.considerPartFiles ?? false,
      ...(options.progress ? { progress: options.progress } : {}),
    });
    if (corrupted) {
      log.log('warning', 'forced deletion succeeded, but the deleted archive was corrupted.');
      log.log('warning', 'borg check --repair is required to free all space.');
    }
    uncommitted += 1;
    if (interval > 0 && performance.now() - lastCheckpoint > interval * 1000) {
      await checkpoint();
      lastCheckpoint = performance.now();
      uncommitted = 0;
    }
  }
  if (uncommitted > 0) await checkpoint();
  return result;
}

export interface ForgetArchivesResult {
  /** Archives removed from the manifest (or that would be). */
  removed: number;
}

/**
 * `--force --force`: removes the archives `names` from the manifest only and commits, without
 * touching their objects or the cache.
 */
export async function forgetArchives(session: RepositorySession, names: readonly string[], options: Pick<DeleteArchivesOptions, 'dryRun' | 'onArchive' | 'onMissing'> = {}): Promise<ForgetArchivesResult> {
  let removed = 0;
  for (const [i, name] of names.entries()) {
    const entry = session.manifest.archives.get(name);
    if (entry === undefined) {
      options.onMissing?.(name, i + 1, names.length);
      continue;
    }
    if (!options.dryRun) session.manifest.archives.delete(name);
    options.onArchive?.(entry, i + 1, names.length);
    removed += 1;
  }
  if (!options.dryRun && removed > 0) await session.commit();
  return { removed };
}
