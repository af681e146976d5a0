// The repository page's numbers. The archive list comes from the archives' metadata (fast: one
// object each). Deduplicated sizes and the growth chart need every archive's chunk references
// against the cache's chunk index, which reads all item streams: that runs as a job, and its
// result is kept for as long as the manifest does not change.
import { ChunkIndex } from '../format/hashindex.js';
import { addArchiveReferences } from '../cache/archive-chunk-index.js';
import { calcArchiveStats } from '../archive/archive-stats.js';
import type { ArchiveSource } from '../archive/archive-reader.js';
import { compareCodePoints } from '../archive/archive-selection.js';
import { parseUtcIso } from '../archive/timestamps.js';
import { SILENT_LOG } from '../progress.js';
import type { JobControl } from './jobs.js';
import type { WebRepository } from './repository-handle.js';

export interface ArchiveSummary {
  name: string;
  id: string;
  /** ISO 8601 UTC with a Z. */
  start: string;
  end: string;
  duration: number;
  hostname: string;
  username: string;
  comment: string;
  nfiles: number;
  originalSize: number;
  compressedSize: number;
}

export interface ArchiveGrowth {
  name: string;
  deduplicatedSize: number;
  /** Stored bytes of all chunks referenced by this archive and the ones before it. */
  storedTotal: number;
  /** Original bytes of this archive and the ones before it. */
  originalTotal: number;
}

export interface RepositoryGrowth {
  manifestId: string;
  archives: ArchiveGrowth[];
}

const iso = (naiveUtc: string) => new Date(Number(parseUtcIso(naiveUtc) / 1000n)).toISOString();

/** The manifest's archives, oldest first. */
export function archivesByTime(source: ArchiveSource): Array<{ name: string; id: Buffer; time: string }> {
  return [...source.manifest.archives.values()].sort((a, b) => compareCodePoints(a.time, b.time) || compareCodePoints(a.name, b.name));
}

export async function archiveSummaries(repo: WebRepository, source: ArchiveSource): Promise<ArchiveSummary[]> {
  const result: ArchiveSummary[] = [];
  const noChunks = new ChunkIndex();
  for (const entry of archivesByTime(source)) {
    const archive = await repo.archive(source, entry.name);
    const { meta } = archive;
    const stats = await calcArchiveStats(source, archive, { chunks: noChunks, wantUnique: false });
    const end = meta.timeEnd || meta.time;
    result.push({
      name: entry.name, id: archive.id.toString('hex'), start: iso(meta.time), end: iso(end),
      duration: Number(parseUtcIso(end) - parseUtcIso(meta.time)) / 1e6,
      hostname: meta.hostname ?? '', username: meta.username ?? '', comment: meta.comment ?? '',
      nfiles: stats.nfiles, originalSize: stats.osize, compressedSize: stats.csize,
    });
  }
  return result;
}

/** Deduplicated size of every archive and the repository's growth, oldest archive first. */
export async function repositoryGrowth(repo: WebRepository, control: JobControl): Promise<RepositoryGrowth> {
  return repo.withCache(async (source, cache) => {
    const entries = archivesByTime(source);
    const seen = new ChunkIndex();
    const archives: ArchiveGrowth[] = [];
    let storedTotal = 0;
    let originalTotal = 0;
    for (const [n, entry] of entries.entries()) {
      control.signal.throwIfAborted();
      control.progress(n, entries.length, entry.name);
      const archive = await repo.archive(source, entry.name);
      const stats = await calcArchiveStats(source, archive, { chunks: cache.chunks });
      const own = new ChunkIndex();
      await addArchiveReferences({ ...source, log: SILENT_LOG }, archive.id, entry.name, own);
      for (const [id, , size, csize] of own.entries()) {
        if (seen.has(id)) continue;
        seen.add(id, 1, size, csize);
        storedTotal += csize;
      }
      originalTotal += stats.osize;
      archives.push({ name: entry.name, deduplicatedSize: stats.usize, storedTotal, originalTotal });
    }
    return { manifestId: source.manifest.id?.toString('hex') ?? '', archives };
  });
}
