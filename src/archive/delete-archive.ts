// Releasing everything one archive references (borg's Archive.delete, spec §8.7): each item-stream
// chunk, every chunk of every item (part files counted apart unless they are considered), and the
// metadata object itself, then its manifest entry. The cache deletes objects whose count drops to
// 0, so a chunk another archive still uses stays. The caller writes the manifest and commits.
//
// --force keeps going over a damaged archive (missing item-stream chunks, undecodable items,
// objects already gone) so that at least its manifest entry and what could be read are released;
// `borg check --repair` then finds what is left over. A chunk missing from the chunk index is
// never forgiven: the refcounts would be wrong from then on.
import type { Statistics } from '../cache/cache-stats.js';
import type { ChunkCache } from '../cache/cache-types.js';
import { BorgError, IntegrityError } from '../errors.js';
import { MsgpackError, Unpacker } from '../format/msgpack.js';
import { PercentProgress, type ProgressSink } from '../progress.js';
import { loadArchiveMeta } from './archive-meta.js';
import type { ArchiveSource } from './archive-reader.js';
import { ArchiveDoesNotExist } from './errors.js';
import { InvalidItem, itemFromMsg } from './item.js';

export interface DecrefArchiveOptions {
  /** --force given once: a damaged archive is released as far as it can be read. */
  forced?: boolean;
  /** Count `.borg_part_N` chunks like other chunks in the statistics (--consider-part-files). */
  considerPartFiles?: boolean;
  /** "Decrementing references" percentage, when wanted. */
  progress?: ProgressSink;
}

export interface DecrefArchiveResult {
  /** With `forced`: the archive could not be read completely (check --repair must clean up). */
  corrupted: boolean;
}

/** Item maps are small; the same bounds as every other item-stream reader. */
const ITEM_LIMITS = { maxDepth: 8, maxStrLen: 64 * 1024 * 1024 };

function isObjectNotFound(e: unknown): boolean {
  return e instanceof BorgError && e.code === 'ObjectNotFound';
}

/** What a damaged archive raises: gone or unreadable objects, undecodable items. */
function isDamage(e: unknown): boolean {
  return isObjectNotFound(e) || e instanceof IntegrityError || e instanceof InvalidItem || e instanceof MsgpackError;
}

/**
 * Drops every reference archive `name` holds and removes it from the in-memory manifest. The
 * statistics receive the released sizes (negative) and, as "unique", what was freed.
 */
export async function decrefArchive(source: ArchiveSource, cache: ChunkCache, name: string, stats: Statistics, options: DecrefArchiveOptions = {}): Promise<DecrefArchiveResult> {
  const entry = source.manifest.archives.get(name);
  if (entry === undefined) throw new ArchiveDoesNotExist(name);
  const forced = options.forced ?? false;
  const { meta } = await loadArchiveMeta(source.repository, source.codec, source.key, entry.id);
  let corrupted = false;
  const tolerate = (e: unknown): void => {
    if (!forced || !isDamage(e)) throw e;
    corrupted = true;
  };
  const decref = async (id: Buffer, part = false): Promise<void> => {
    try {
      await cache.chunkDecref(id, stats, part);
    } catch (e) {
      // The index entry is gone already; only the object was missing from the repository.
      if (!isObjectNotFound(e)) throw e;
      tolerate(e);
    }
  };

  const ids = meta.items;
  const pi = options.progress ? new PercentProgress(options.progress, { total: ids.length, msgid: 'archive.delete', format: (p) => `Decrementing references ${percent(p)}%` }) : null;
  const unpacker = new Unpacker(ITEM_LIMITS);
  let index = 0;
  try {
    for await (const envelope of source.repository.getMany(ids)) {
      pi?.show(index);
      const id = ids[index++]!;
      unpacker.feed(source.codec.unpack(id, envelope));
      await decref(id);
      try {
        for (const value of unpacker) {
          const item = itemFromMsg(value);
          if (item.chunks === undefined) continue;
          const part = !options.considerPartFiles && item.part !== undefined;
          for (const chunk of item.chunks) await decref(chunk.id, part);
        }
      } catch (e) {
        // An item that does not decode (its stream lost a chunk): the next chunk may still be usable.
        tolerate(e);
      }
    }
    pi?.finish();
  } catch (e) {
    // A missing or undecryptable item-stream chunk ends the walk over the items.
    tolerate(e);
  }
  await decref(entry.id);
  source.manifest.archives.delete(name);
  return { corrupted };
}

/** borg's "%3.0f": halves round to even. */
function percent(p: number): string {
  const rounded = Math.abs(p % 1) === 0.5 ? 2 * Math.round(p / 2) : Math.round(p);
  return String(rounded).padStart(3);
}
