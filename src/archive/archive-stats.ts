// Statistics of stored archives for `info` (spec §5.3, §7.4): original and compressed size and
// the number of files come from the archive metadata (borg >= 1.2 stores them) or, for older
// archives, from reading the items; the deduplicated size is the stored size of the chunks that
// only this archive references — every chunk whose reference count within the archive (metadata
// object, item-stream chunks, file chunks) equals its count in the cache's chunk index.

import { addArchiveReferences } from '../cache/archive-chunk-index.js';
import { cacheSummary, Statistics, type CacheSummary } from '../cache/cache-stats.js';
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
}

/** borg's calc_stats for a stored archive. */
export async function calcArchiveStats(source: ArchiveSource, archive: LoadedArchiveMeta, options: ArchiveStatsOptions): Promise<Statistics> {
  const { meta } = archive;
  const stats = new Statistics();
  const hasTotals = meta.nfiles !== undefined;
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
