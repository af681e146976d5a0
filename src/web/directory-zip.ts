// A directory of an archive (or all of it) as a zip stream: directories, regular files (hard
// links get their master's contents) and symlinks (stored the way Info-ZIP stores them: the
// target as contents, S_IFLNK in the mode). Devices and fifos have no place in a zip and are
// left out. Paths start with the directory's own name.
import { archiveItems, fetchChunks, type ArchiveSource } from '../archive/archive-reader.js';
import type { LoadedArchiveMeta } from '../archive/archive-meta.js';
import { isDir, isHardlinkSlave, isRegular, isSymlink, type ChunkRef } from '../archive/item.js';
import { encodeFsString } from '../format/surrogate-escape.js';
import { ZipWriter, type ZipSink } from './zip-writer.js';

export async function zipDirectory(source: ArchiveSource, archive: LoadedArchiveMeta, path: string, sink: ZipSink, signal?: AbortSignal): Promise<number> {
  const zip = new ZipWriter(sink);
  const cut = path === '' ? 0 : path.lastIndexOf('/') + 1;
  const inside = (p: string) => path === '' || p === path || p.startsWith(`${path}/`);
  const masters = new Map<string, ChunkRef[]>();
  let count = 0;
  for await (const item of archiveItems(source, archive)) {
    signal?.throwIfAborted();
    if (item.hardlinkMaster && item.chunks !== undefined) masters.set(item.path, item.chunks);
    if (!inside(item.path)) continue;
    const name = item.path.slice(cut);
    const mtime = Number(item.mtime / 1_000_000n);
    if (isDir(item)) {
      await zip.add(`${name}/`, { mode: item.mode, mtime, expectedSize: 0 });
    } else if (isSymlink(item)) {
      await zip.add(name, { mode: item.mode, mtime, expectedSize: 0 }, encodeFsString(item.source ?? ''));
    } else if (isRegular(item)) {
      const chunks = isHardlinkSlave(item) ? masters.get(item.source!) ?? [] : item.chunks ?? [];
      const size = chunks.reduce((s, c) => s + c.size, 0);
      await zip.add(name, { mode: item.mode, mtime, expectedSize: size }, fetchChunks(source, chunks.map((c) => c.id)));
    } else {
      continue;
    }
    count += 1;
  }
  await zip.finish();
  return count;
}
