// Reading one archive: find it in the manifest, load its metadata, stream its items (part files
// of interrupted backups hidden unless asked for) and the contents of an item's chunks. list,
// diff, info, extract and mount read archives through these few calls.

import type { Key } from '../crypto/index.js';
import type { ObjectCodec } from '../crypto/object-codec.js';
import type { Repository } from '../repository/repository.js';
import { loadArchiveMeta, type LoadedArchiveMeta } from './archive-meta.js';
import { ArchiveDoesNotExist } from './errors.js';
import type { Item } from './item.js';
import { iterItems } from './item-stream.js';
import type { Manifest } from './manifest.js';

/** The parts of an open repository session that reading archives needs. */
export interface ArchiveSource {
  readonly repository: Repository;
  readonly codec: ObjectCodec;
  readonly key: Key;
  readonly manifest: Manifest;
}

export interface OpenedArchive extends LoadedArchiveMeta {
  /** The name the manifest lists it under (normally equal to the metadata's name). */
  manifestName: string;
}

/** Loads the metadata of the archive the manifest lists as `name`; ArchiveDoesNotExist if none. */
export async function openArchive(source: ArchiveSource, name: string): Promise<OpenedArchive> {
  const entry = source.manifest.archives.get(name);
  if (entry === undefined) throw new ArchiveDoesNotExist(name);
  const loaded = await loadArchiveMeta(source.repository, source.codec, source.key, entry.id);
  return { ...loaded, manifestName: name };
}

export interface ArchiveItemsOptions {
  /** Also yield the `.borg_part_N` items of checkpoints (borg's --consider-part-files). */
  considerPartFiles?: boolean;
  /** Called for every other item; false leaves it out. */
  filter?: (item: Item) => boolean;
}

/** The items of an archive in stored order. */
export async function* archiveItems(source: ArchiveSource, archive: LoadedArchiveMeta, options: ArchiveItemsOptions = {}): AsyncIterable<Item> {
  for await (const item of iterItems(source.repository, source.codec, archive.meta.items)) {
    if (!options.considerPartFiles && item.part !== undefined) continue;
    if (options.filter && !options.filter(item)) continue;
    yield item;
  }
}

/** The plaintexts of the chunks `ids`, in order (the repository pipelines the reads). */
export async function* fetchChunks(source: Pick<ArchiveSource, 'repository' | 'codec'>, ids: readonly Buffer[]): AsyncIterable<Buffer> {
  let index = 0;
  for await (const envelope of source.repository.getMany(ids)) {
    yield source.codec.unpack(ids[index]!, envelope);
    index += 1;
  }
}
