// `list` as library calls: the contents of one archive, or the archives of a repository, each
// entry already formatted (a line of text) or as the data of one JSON object.

import { archiveItems, fetchChunks, openArchive, type ArchiveSource } from '../archive-reader.js';
import { selectArchives, type ArchiveFilter } from '../archive-selection.js';
import type { Item } from '../item.js';
import { ArchiveFormatter, DEFAULT_ARCHIVE_FORMAT, SHORT_ARCHIVE_FORMAT, type ArchiveData } from './archive-formatter.js';
import { DEFAULT_ITEM_FORMAT, ItemFormatter, SHORT_ITEM_FORMAT, type ChunkRefcounts, type ItemData } from './item-formatter.js';

export interface ListContentsOptions {
  /** borg's --format; default DEFAULT_ITEM_FORMAT (SHORT_ITEM_FORMAT with `short`). */
  format?: string | undefined;
  short?: boolean;
  /** Yield JSON data (--json-lines) instead of lines. */
  json?: boolean;
  /** Which items to list (e.g. a PatternMatcher's match); default all. */
  filter?: (path: string) => boolean;
  considerPartFiles?: boolean;
  /** Chunk refcounts, needed when the format uses dsize, dcsize or unique_chunks. */
  refcounts?: ChunkRefcounts;
}

/** The formatted items of archive `name`. */
export async function* listArchiveContents(source: ArchiveSource, name: string, options: ListContentsOptions = {}): AsyncIterable<string | ItemData> {
  const format = options.format ?? (options.short ? SHORT_ITEM_FORMAT : DEFAULT_ITEM_FORMAT);
  const archive = await openArchive(source, name);
  const formatter = new ItemFormatter(format, {
    archive: { name: archive.meta.name, id: archive.id },
    json: options.json ?? false,
    readChunks: (ids) => fetchChunks(source, ids),
    ...(options.refcounts !== undefined ? { refcounts: options.refcounts } : {}),
  });
  const { filter } = options;
  const items = archiveItems(source, archive, {
    considerPartFiles: options.considerPartFiles ?? false,
    ...(filter !== undefined ? { filter: (item: Item) => filter(item.path) } : {}),
  });
  for await (const item of items) yield formatter.format(item);
}

export interface ListRepositoryOptions {
  /** borg's --format; default DEFAULT_ARCHIVE_FORMAT (SHORT_ARCHIVE_FORMAT with `short`). */
  format?: string | undefined;
  short?: boolean;
  /** Yield data for the JSON "archives" list instead of lines. */
  json?: boolean;
  filter?: ArchiveFilter;
}

/** The formatted archives that `filter` selects. */
export async function* listRepositoryArchives(source: ArchiveSource, options: ListRepositoryOptions = {}): AsyncIterable<string | ArchiveData> {
  const format = options.format ?? (options.short ? SHORT_ARCHIVE_FORMAT : DEFAULT_ARCHIVE_FORMAT);
  const formatter = new ArchiveFormatter(format, source, { json: options.json ?? false });
  for (const entry of selectArchives(source.manifest.archives.values(), options.filter)) yield formatter.format(entry);
}
