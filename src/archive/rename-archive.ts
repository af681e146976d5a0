// `rename ARCHIVE NEWNAME`: the archive's metadata object is stored again with the new name and a
// valid archive TAM (borg 1.2.4 left the old, now invalid, TAM in place; borg >= 1.2.5 refuses
// such archives), the old object is released, and the manifest lists the new id under the new
// name. Items and file chunks are untouched. The TAM salt is kept when the old TAM verified, so
// renaming back gives back the same object.

import { Statistics } from '../cache/cache-stats.js';
import type { ChunkCache } from '../cache/cache-types.js';
import { unpackAndVerify } from '../crypto/index.js';
import { encodeFsString } from '../format/surrogate-escape.js';
import { packArchiveMeta } from './archive-meta.js';
import { checkArchiveName } from './archive-name.js';
import { ArchiveAlreadyExists, ArchiveDoesNotExist } from './errors.js';
import type { RepositorySession } from './repository-session.js';

export interface RenameResult {
  oldId: Buffer;
  newId: Buffer;
}

/**
 * Renames archive `oldName` and commits (repository, then `cache`). The session must hold the
 * exclusive lock; `cache` keeps the chunk refcounts in step with the new and the released object.
 */
export async function renameArchive(session: RepositorySession, cache: ChunkCache, oldName: string, newName: string): Promise<RenameResult> {
  checkArchiveName(newName);
  const { manifest, repository, key } = session;
  const entry = manifest.archives.get(oldName);
  if (entry === undefined) throw new ArchiveDoesNotExist(oldName);
  if (manifest.archives.has(newName)) throw new ArchiveAlreadyExists(newName);

  const data = session.codec.unpack(entry.id, await repository.get(entry.id));
  // The stored map is changed in place (only `name`), so every other key keeps its exact bytes.
  const { value, verified, salt } = unpackAndVerify(key, data, 'archive', { required: false });
  value['name'] = encodeFsString(newName);
  const time = Buffer.isBuffer(value['time']) ? value['time'].toString('utf8') : entry.time;
  await session.prepareWrite();
  const packed = session.writer().pack(packArchiveMeta(key, value, verified ? salt : null));

  // Metadata changes do not count as archive statistics.
  const stats = new Statistics();
  await cache.addChunk(packed.id, packed.envelope, packed.size, stats);
  await cache.chunkDecref(entry.id, stats);
  manifest.archives.set(newName, { name: newName, id: packed.id, time });
  manifest.archives.delete(oldName);
  await session.commit();
  await cache.commit();
  return { oldId: entry.id, newId: packed.id };
}
