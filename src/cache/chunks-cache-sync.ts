// Cache sync (spec §7.4): when the manifest changed since the cache last saw it (another client,
// or borg, wrote to the repository), rebuild the chunk index from all archives exactly as borg 1.2
// does: one index per archive, read from `chunks.archive.d/` or built from the repository and
// stored there, merged in manifest order into a master index sized for the repository; indexes
// of archives that are gone are deleted. Memory: one item chunk at a time, plus the indexes.
import { mkdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ChunkIndex } from '../format/hashindex.js';
import { PercentProgress, type ProgressSink, type WarningSink } from '../progress.js';
import { addArchiveReferences, ArchiveIndexDir, type ArchiveSource } from './archive-chunk-index.js';

/** borg sizes the master index for this load (its HASH_MAX_LOAD), from the number of objects. */
const MAX_LOAD = 0.75;

export interface SyncSource extends ArchiveSource {
  /** Archives in manifest order. */
  archives: Iterable<{ name: string; id: Buffer }>;
  warnings: WarningSink;
  progress: ProgressSink;
}

/** Rebuilds the chunk index of the cache in `cacheDir` from the repository's archives. */
export async function syncChunkIndex(cacheDir: string, src: SyncSource): Promise<ChunkIndex> {
  const dir = new ArchiveIndexDir(join(cacheDir, 'chunks.archive.d'), src.log, src.warnings);
  prepareArchiveIndexDir(cacheDir, dir.path);
  const cache = dir.enabled();
  const archives = new Map<string, string>();
  for (const a of src.archives) if (!archives.has(a.id.toString('hex'))) archives.set(a.id.toString('hex'), a.name);
  const cached = cache ? dir.cachedIds() : new Set<string>();
  const outdated = [...cached].filter((id) => !archives.has(id));
  src.log.log('info', 'Synchronizing chunks cache...');
  src.log.log('info', `Archives: ${archives.size}, w/ cached Idx: ${cached.size}, w/ outdated Idx: ${outdated.length}, ` +
    `w/o cached Idx: ${[...archives.keys()].filter((id) => !cached.has(id)).length}.`);
  for (const id of outdated) dir.remove(id);
  if (archives.size === 0) {
    src.log.log('info', 'Done.');
    return new ChunkIndex();
  }
  const master = new ChunkIndex({ capacity: Math.trunc((await src.repository.len()) / MAX_LOAD) });
  const fetchedSizes = new ChunkIndex();
  const progress = new PercentProgress(src.progress, {
    total: archives.size, msgid: 'cache.sync', step: 0.1,
    format: (percent, info) => `${String(Math.round(percent)).padStart(3)}% Syncing chunks cache. Processing archive ${info?.[0] ?? ''}`,
  });
  for (const [idHex, name] of archives) {
    progress.show(undefined, [name]);
    const id = Buffer.from(idHex, 'hex');
    if (!cache) {
      src.log.log('info', `Fetching archive index for ${name} ...`);
      await addArchiveReferences(src, id, name, master);
      continue;
    }
    let index = cached.has(idHex) ? dir.read(idHex, name) : null;
    if (index !== null) {
      src.log.log('info', `Reading cached archive chunk index for ${name} ...`);
    } else {
      src.log.log('info', `Fetching and building archive index for ${name} ...`);
      index = new ChunkIndex();
      await addArchiveReferences(src, id, name, index);
      await fillMissingCsizes(src, index, fetchedSizes);
      dir.write(idHex, index);
    }
    src.log.log('info', 'Merging into master chunks index ...');
    master.merge(index);
  }
  if (!cache) await fillMissingCsizes(src, master, fetchedSizes);
  progress.finish();
  src.log.log('info', 'Done.');
  return master;
}

/** borg's legacy cleanup: older caches kept one `chunks.archive` file; the directory must exist. */
function prepareArchiveIndexDir(cacheDir: string, dirPath: string): void {
  for (const name of ['chunks.archive', 'chunks.archive.tmp']) {
    try {
      unlinkSync(join(cacheDir, name));
    } catch {
      // not there (or a directory: left alone, as borg does)
    }
  }
  try {
    mkdirSync(dirPath);
  } catch {
    // exists already, as a directory or as the file that disables per-archive indexes
  }
}

/**
 * Archives written with an ad-hoc cache (--no-cache-sync) store csize 0 for chunks that already
 * existed; the stored object length is the real csize, so it is fetched (once per sync and id).
 */
async function fillMissingCsizes(src: ArchiveSource, index: ChunkIndex, fetched: ChunkIndex): Promise<void> {
  const zero: Buffer[] = [];
  for (const [id, , , csize] of index.entries()) if (csize === 0) zero.push(id);
  const missing: Buffer[] = [];
  for (const id of zero) {
    const known = fetched.get(id);
    const entry = index.get(id)!;
    if (known === undefined) missing.push(id);
    else index.set(id, entry.refcount, entry.size, known.csize);
  }
  let i = 0;
  for await (const envelope of src.repository.getMany(missing)) {
    const id = missing[i++]!;
    const entry = index.get(id)!;
    index.set(id, entry.refcount, entry.size, envelope.length);
    fetched.set(id, entry.refcount, entry.size, envelope.length);
  }
}
