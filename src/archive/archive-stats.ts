// Statistics of stored archives for `info` (spec §5.3, §7.4): original and compressed size and
// the number of files come from the archive metadata (borg >= 1.2 stores them) or, for older
// archives, from reading the items; the deduplicated size is the stored size of the chunks that
// only this archive references — every chunk whose reference count within the archive (metadata
// object, item-stream chunks, file chunks) equals its count in the cache's chunk index.

import { addArchiveReferences } from '../cache/archive-chunk-index.js';
import { cacheSummary, Statistics, type CacheSummary, type RawStatistics } from '../cache/cache-stats.js';
import { ChunkIndex } from '../format/hashindex.js';
import { SILENT_LOG, type LogSink } from '../progress.js';
import type { LoadedArchiveMeta } from './archive-meta.js';
import { archiveItems, openArchive, type ArchiveSource } from './archive-reader.js';

export interface ArchiveStatsOptions {
  /** The cache's chunk index: repository-wide reference counts. */
  chunks: ChunkIndex;
  /** Count `.borg_part_N` files too (--consider-part-files). */
  considerPartFiles?: boolean;
  /** Compute the deduplicated size (reads every item-stream chunk). Default true. */
  wantUnique?: boolean;
  /** Receives the warning about an archive with an invalid TAM while counting its references. */
  log?: LogSink;
  /**
   * The cache's memo of totals of archives made before borg 1.2 (its `pre12-meta`, by hex id),
   * shared with borg: read when only totals are wanted, filled when they had to be computed.
   */
  pre12Meta?: Record<string, unknown>;
}

const RAW_KEYS = ['size', 'csize', 'nfiles', 'size_parts', 'csize_parts', 'nfiles_parts'] as const;

function rawStatistics(value: unknown): RawStatistics | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const raw = value as Record<string, unknown>;
  return RAW_KEYS.every((k) => Number.isSafeInteger(raw[k])) ? (raw as unknown as RawStatistics) : undefined;
}

/** borg's calc_stats for a stored archive. */
export async function calcArchiveStats(source: ArchiveSource, archive: LoadedArchiveMeta, options: ArchiveStatsOptions): Promise<Statistics> {
  const { meta } = archive;
  const hasTotals = meta.nfiles !== undefined;
  const memoKey = archive.id.toString('hex');
  if (!hasTotals && options.wantUnique === false) {
    const memo = rawStatistics(options.pre12Meta?.[memoKey]);
    if (memo !== undefined) return Statistics.fromRawDict(memo);
  }
  const stats = new Statistics();
  if (!hasTotals || options.wantUnique !== false) {
    const own = new ChunkIndex();
    await addArchiveReferences({ ...source, log: options.log ?? SILENT_LOG }, archive.id, meta.name, own);
    stats.usize = uniqueCsize(own, options.chunks);
  }
  if (hasTotals) {
    stats.nfiles = meta.nfiles!;
    stats.osize = meta.size ?? 0;
    stats.csize = meta.csize ?? 0;
    if (options.considerPartFiles) {
      stats.nfiles += meta.nfilesParts ?? 0;
      stats.osize += meta.sizeParts ?? 0;
      stats.csize += meta.csizeParts ?? 0;
    }
  } else {
    await addItemTotals(source, archive, stats, options.considerPartFiles ?? false);
    if (options.pre12Meta !== undefined) options.pre12Meta[memoKey] = stats.asRawDict();
  }
  return stats;
}

/** Stored size of the chunks whose every reference is one of `own`'s. */
function uniqueCsize(own: ChunkIndex, master: ChunkIndex): number {
  let total = 0;
  for (const [id, refcount] of own.entries()) {
    const entry = master.get(id);
    if (entry === undefined) throw new Error(`Chunk ${id.toString('hex')} of the archive is missing from the cache's chunk index`);
    if (entry.refcount === refcount) total += entry.csize;
  }
  return total;
}

/** Totals of archives made before borg 1.2: every item with a chunk list is a file. */
async function addItemTotals(source: ArchiveSource, archive: LoadedArchiveMeta, stats: Statistics, considerPartFiles: boolean): Promise<void> {
  for await (const item of archiveItems(source, archive, { considerPartFiles: true })) {
    if (item.chunks === undefined || (item.part !== undefined && !considerPartFiles)) continue;
    stats.nfiles += 1;
    for (const chunk of item.chunks) {
      stats.osize += chunk.size;
      stats.csize += chunk.csize;
    }
  }
}

/**
 * The "All archives" numbers of `info`: chunk counts and unique sizes from the chunk index, total
 * sizes summed over the archives' own statistics (which count a file's checkpoint parts once).
 */
export async function repositoryStats(source: ArchiveSource, options: Omit<ArchiveStatsOptions, 'wantUnique'>): Promise<CacheSummary> {
  const summary = cacheSummary(options.chunks);
  let totalSize = 0;
  let totalCsize = 0;
  for (const name of source.manifest.archives.keys()) {
    const archive = await openArchive(source, name);
    const stats = await calcArchiveStats(source, archive, { ...options, wantUnique: false });
    totalSize += stats.osize;
    totalCsize += stats.csize;
  }
  return { ...summary, total_size: totalSize, total_csize: totalCsize };
}
