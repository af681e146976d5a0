// `diff ARCHIVE1 ARCHIVE2`: walks both item streams side by side and reports every path whose
// item differs, in borg's order. Items at the same position with the same path are compared at
// once; otherwise an item waits in its archive's "orphans" until the other stream brings its
// path. Archives made from the same tree stay in step, so memory holds only the items that are
// out of step (plus hard link masters, needed to compare their slaves), not whole archives.
// Paths left over at the end were added (archive 2) or removed (archive 1); hard link slaves
// whose master had not been seen yet are compared last.

import { chunkerParamsToArchive, type ChunkerParams } from '../chunker/chunker-params.js';
import type { WarningSink } from '../progress.js';
import { archiveItems, fetchChunks, openArchive, type ArchiveSource } from './archive-reader.js';
import { diffItems, type DiffChange, type DiffSide } from './item-diff.js';
import { isBlk, isChr, isFifo, isRegular, type Item } from './item.js';
import { compareCodePoints } from './archive-selection.js';

export interface DiffOptions {
  /** Which paths to compare (e.g. a PatternMatcher's match); default all. */
  filter?: (path: string) => boolean;
  numericIds?: boolean;
  /** Trust that both archives were chunked with the same parameters (compare chunk ids). */
  sameChunkerParams?: boolean;
  contentOnly?: boolean;
  considerPartFiles?: boolean;
  /** Sort the result by path (collects all differences first). */
  sort?: boolean;
  /** Receives borg's warning when contents must be compared byte by byte. */
  warnings?: WarningSink;
}

export interface PathDiff {
  path: string;
  changes: DiffChange[];
}

/** The differing paths between archives `name1` and `name2`. */
export async function* diffArchives(source: ArchiveSource, name1: string, name2: string, options: DiffOptions = {}): AsyncIterable<PathDiff> {
  const archive1 = await openArchive(source, name1);
  const archive2 = await openArchive(source, name2);
  const compareChunkIds = options.sameChunkerParams || chunkIdsComparable(archive1.meta.chunkerParams, archive2.meta.chunkerParams, options.warnings);
  const compare = (a: DiffSide, b: DiffSide) => diffItems(a, b, {
    numericIds: options.numericIds ?? false,
    compareChunkIds,
    contentOnly: options.contentOnly ?? false,
    readChunks: (_side, ids) => fetchChunks(source, ids),
  });
  const { filter } = options;
  const itemOptions = {
    considerPartFiles: options.considerPartFiles ?? false,
    ...(filter !== undefined ? { filter: (item: Item) => filter(item.path) } : {}),
  };
  const diffs = pairItems(archiveItems(source, archive1, itemOptions), archiveItems(source, archive2, itemOptions), compare);
  if (!options.sort) {
    yield* diffs;
    return;
  }
  const all: PathDiff[] = [];
  for await (const diff of diffs) all.push(diff);
  yield* all.sort((x, y) => compareCodePoints(x.path, y.path));
}

/** Chunk ids tell equal contents apart only when both archives were chunked alike. */
function chunkIdsComparable(cp1: ChunkerParams | undefined, cp2: ChunkerParams | undefined, warnings?: WarningSink): boolean {
  if (cp1 === undefined || cp2 === undefined) {
    warnings?.warn({
      code: 'BorgWarning',
      message: '--chunker-params might be different between archives, diff will be slow.\n'
        + 'If you know for certain that they are the same, pass --same-chunker-params to override this check.',
    });
    return false;
  }
  const same = JSON.stringify(chunkerParamsToArchive(cp1)) === JSON.stringify(chunkerParamsToArchive(cp2));
  if (!same) warnings?.warn({ code: 'BorgWarning', message: '--chunker-params are different between archives, diff will be slow.' });
  return same;
}

const hardlinkable = (item: Item): boolean => isRegular(item) || isBlk(item) || isChr(item) || isFifo(item);

type Compare = (a: DiffSide, b: DiffSide) => Promise<DiffChange[] | null>;

/** borg's pairing of two item streams; yields only the pairs that differ. */
async function* pairItems(items1: AsyncIterable<Item>, items2: AsyncIterable<Item>, compare: Compare): AsyncIterable<PathDiff> {
  const orphans1 = new Map<string, Item>();
  const orphans2 = new Map<string, Item>();
  const deferred: Array<[Item, Item]> = [];
  // Master path -> its items in both archives (a missing side is null).
  const masters = new Map<string, [DiffSide, DiffSide]>();

  const isMaster = (item: DiffSide) => item !== null && item.hardlinkMaster !== false && item.source === undefined && hardlinkable(item);
  const masterSeen = (item: Item) => item.source === undefined || !hardlinkable(item) || masters.has(item.source);
  const remember = (a: DiffSide, b: DiffSide) => {
    if (isMaster(a) || isMaster(b)) masters.set((a ?? b)!.path, [a, b]);
  };
  // A hard link slave has no content of its own: compare its master's item instead.
  const resolve = (item: DiffSide, side: 0 | 1): DiffSide => {
    if (item === null || !hardlinkable(item) || item.source === undefined) return item;
    const pair = masters.get(item.source);
    return pair === undefined ? item : pair[side];
  };
  const result = async (path: string, a: DiffSide, b: DiffSide): Promise<PathDiff | null> => {
    const changes = await compare(resolve(a, 0), resolve(b, 1));
    return changes === null ? null : { path, changes };
  };
  /** Compares now, or later when a hard link master is still unknown. */
  const pair = async (a: Item, b: Item): Promise<PathDiff | null> => {
    remember(a, b);
    if (!masterSeen(a) || !masterSeen(b)) {
      deferred.push([a, b]);
      return null;
    }
    return result(a.path, a, b);
  };

  const it1 = items1[Symbol.asyncIterator]();
  const it2 = items2[Symbol.asyncIterator]();
  for (;;) {
    const [n1, n2] = await Promise.all([it1.next(), it2.next()]);
    if (n1.done && n2.done) break;
    const a = n1.done ? undefined : n1.value;
    const b = n2.done ? undefined : n2.value;
    const found: Array<PathDiff | null> = [];
    if (a !== undefined && b !== undefined && a.path === b.path) {
      found.push(await pair(a, b));
    } else {
      if (a !== undefined) {
        const other = orphans2.get(a.path);
        if (other !== undefined) {
          orphans2.delete(a.path);
          found.push(await pair(a, other));
        } else {
          orphans1.set(a.path, a);
        }
      }
      if (b !== undefined) {
        const other = orphans1.get(b.path);
        if (other !== undefined) {
          orphans1.delete(b.path);
          found.push(await pair(other, b));
        } else {
          orphans2.set(b.path, b);
        }
      }
    }
    for (const diff of found) if (diff !== null) yield diff;
  }
  for (const added of orphans2.values()) {
    remember(null, added);
    const diff = await result(added.path, null, added);
    if (diff !== null) yield diff;
  }
  for (const removed of orphans1.values()) {
    remember(removed, null);
    const diff = await result(removed.path, removed, null);
    if (diff !== null) yield diff;
  }
  for (const [a, b] of deferred) {
    const diff = await result(a.path, a, b);
    if (diff !== null) yield diff;
  }
}
