// `recreate`: an archive built again from an existing one (borg's ArchiveRecreater). Items the
// patterns exclude are dropped; with --recompress or --chunker-params file contents are stored
// again (see chunk-rewriter.ts), otherwise the kept items only reference their chunks once more.
// The new archive is saved as NAME.recreate (or --target) with the original's times and command
// line plus `recreate_cmdline`, and then replaces the original: the original is released and the
// new one renamed, which stores its metadata again with a valid archive TAM.
//
// When an excluded item was the master of a hard link group, the first kept slave takes over its
// chunks and becomes the master; later slaves point to it. Checkpoints are written while contents
// are stored again (as in borg, not while items are only copied), with part items as in create.
import { Statistics } from '../../cache/cache-stats.js';
import type { ChunkCache } from '../../cache/cache-types.js';
import { chunkerParamsToArchive, createChunker, DEFAULT_CHUNKER_PARAMS, MAX_DATA_SIZE, type Chunker, type ChunkerParams } from '../../chunker/index.js';
import type { ProgressSink } from '../../progress.js';
import { archiveItems, openArchive, type OpenedArchive } from '../archive-reader.js';
import type { ArchiveMeta } from '../archive-meta.js';
import { checkArchiveName } from '../archive-name.js';
import { saveArchive } from '../archive-writer.js';
import { ArchiveSaver, partItem } from '../create/checkpoints.js';
import type { CreatedArchive } from '../create/create-archive.js';
import { CreateProgress } from '../create/create-progress.js';
import { ItemBuffer } from '../create/item-buffer.js';
import { ItemQueue, QueueEntry } from '../create/item-queue.js';
import { ObjectStore } from '../create/object-store.js';
import { CreateStats } from '../create/create-stats.js';
import { decrefArchive } from '../delete-archive.js';
import { ArchiveAlreadyExists } from '../errors.js';
import { isBlk, isChr, isDir, isFifo, isRegular, isSymlink, type ChunkRef, type Item } from '../item.js';
import type { PatternMatcher } from '../patterns/index.js';
import { renameArchive } from '../rename-archive.js';
import type { RepositorySession } from '../repository-session.js';
import { nowMicros } from '../timestamps.js';
import { ChunkRewriter, type RecompressMode } from './chunk-rewriter.js';
import { addTaggedDirExclusions } from './tagged-dirs.js';

export type { RecompressMode } from './chunk-rewriter.js';

export interface RecreateOptions {
  /** A fresh matcher of the patterns and PATHs (tag exclusions are added per archive). */
  matcher: () => PatternMatcher;
  excludeCaches?: boolean;
  excludeIfPresent?: readonly string[];
  keepExcludeTags?: boolean;
  /** --chunker-params: re-chunk archives made with other params. */
  chunkerParams?: ChunkerParams;
  /** -C spec for recompressed chunks and the new metadata. */
  compression: string;
  recompress: RecompressMode;
  dryRun?: boolean;
  /** --timestamp (microseconds): the new archive's start time instead of the original's times. */
  timestamp?: bigint;
  /** Seconds between checkpoints; 0 disables them. */
  checkpointInterval: number;
  /** The recreate command line (stored as recreate_cmdline, and as cmdline of checkpoints). */
  cmdline: readonly string[];
  /** --comment; undefined keeps the original's comment. */
  comment?: string;
  /** --list: status letter and path of every item. */
  fileStatus?: (status: string, path: string) => void;
  progress?: ProgressSink;
  /** Aborting writes a checkpoint of what was stored and ends the run. */
  signal?: AbortSignal;
  /** Told when a left-over NAME.recreate of an interrupted run is released before starting again. */
  onWarning?: (message: string) => void;
}

export type RecreateOutcome =
  /** Nothing would change (no pattern, recompression, re-chunking, comment or target). */
  | { status: 'unchanged' }
  | { status: 'dry-run' }
  /** Stopped by the signal; a checkpoint of the new archive remains. */
  | { status: 'interrupted' }
  /** `archive` is the result (under the original's name unless a target was given). */
  | { status: 'done'; archive: CreatedArchive };

/** Archives named NAME.recreate are left-overs of an interrupted recreate. */
export function isTemporaryArchive(name: string): boolean {
  return name.endsWith('.recreate');
}

/** borg's file_status(): the --list letter of an item by its type. */
function fileStatus(item: Item): string {
  if (isRegular(item)) return 'A';
  if (isDir(item)) return 'd';
  if (isBlk(item)) return 'b';
  if (isChr(item)) return 'c';
  if (isSymlink(item)) return 's';
  if (isFifo(item)) return 'f';
  return '?';
}

const hardlinkable = (item: Item): boolean => isRegular(item) || isBlk(item) || isChr(item) || isFifo(item);

const sameParams = (a: ChunkerParams, b: ChunkerParams): boolean =>
  JSON.stringify(chunkerParamsToArchive(a)) === JSON.stringify(chunkerParamsToArchive(b));

/** Chunks of an excluded hard link master, until a kept slave takes them (then its new path). */
interface MovedMaster {
  chunks: ChunkRef[] | undefined;
  chunksHealthy: ChunkRef[] | undefined;
  newPath: string | null;
}

/** Everything one archive's recreation writes to. */
interface Target {
  name: string;
  stats: Statistics;
  store: ObjectStore;
  items: ItemBuffer;
  saver: ArchiveSaver;
  queue: ItemQueue;
  chunker: Chunker | null;
}

/** Recreates archives of one session; chunks rewritten once are only referenced afterwards. */
export class Recreater {
  readonly #rewriter: ChunkRewriter;
  readonly #progress: CreateProgress;

  constructor(private readonly session: RepositorySession, private readonly cache: ChunkCache, private readonly options: RecreateOptions) {
    this.#rewriter = new ChunkRewriter(session, cache, options.compression, options.recompress);
    this.#progress = new CreateProgress(options.progress);
  }

  #interrupted(): boolean {
    return this.options.signal?.aborted ?? false;
  }

  /**
   * Recreates archive `name` as `targetName` (keeping the original) or in its place. The session
   * must hold the exclusive lock and `cache` be in sync with it.
   */
  async recreate(name: string, targetName?: string): Promise<RecreateOutcome> {
    const { session, cache, options } = this;
    const startedAt = nowMicros();
    const started = performance.now();
    const archive = await openArchive(session, name);
    const target = targetName ?? `${name}.recreate`;
    checkArchiveName(target);
    if (session.manifest.archives.has(target)) {
      // NAME.recreate is only ever our own temporary: one that exists was left by a run killed
      // between saving it and replacing NAME (NAME is still intact). Release it and start over,
      // where borg would stop with "already exists" until the user deletes it by hand.
      if (targetName !== undefined || options.dryRun) throw new ArchiveAlreadyExists(target);
      options.onWarning?.(`Releasing ${target}, left over by an interrupted recreate of ${name}`);
      await decrefArchive(session, cache, target, new Statistics());
    }

    const matcher = options.matcher();
    const excludeIfPresent = options.excludeIfPresent ?? [];
    if (options.excludeCaches || excludeIfPresent.length > 0) {
      await addTaggedDirExclusions(session, archive, matcher, {
        excludeCaches: options.excludeCaches ?? false, excludeIfPresent, keepExcludeTags: options.keepExcludeTags ?? false,
      });
    }
    const source = archive.meta.chunkerParams;
    const rechunk = options.chunkerParams !== undefined && (source === undefined || !sameParams(source, options.chunkerParams));
    const recompress = options.recompress !== 'never';
    if (matcher.empty() && !recompress && !rechunk && options.comment === undefined && targetName === undefined) return { status: 'unchanged' };

    // Not re-chunked: the archive keeps the params its chunks were cut with.
    const params = rechunk ? options.chunkerParams! : source ?? { ...DEFAULT_CHUNKER_PARAMS };
    const stats = new CreateStats();
    const store = new ObjectStore(session, cache, options.compression);
    const items = new ItemBuffer((data, s) => store.storeData(data, s), session.key.chunkSeed);
    const saver = new ArchiveSaver(session, cache, store, items, stats, {
      name: target, cmdline: options.cmdline, comment: '', timestamp: undefined, chunkerParams: params,
      checkpointInterval: options.dryRun ? 0 : options.checkpointInterval,
    });
    const t: Target = {
      name: target, stats: stats.items, store, items, saver, queue: new ItemQueue(),
      chunker: rechunk ? createChunker(params, session.key.chunkSeed) : null,
    };
    if (!(await this.#processItems(archive, matcher, t, recompress || rechunk))) return { status: 'interrupted' };
    this.#progress.finish();
    if (options.dryRun) return { status: 'dry-run' };
    return { status: 'done', archive: await this.#save(archive, t, params, targetName === undefined, startedAt, started) };
  }

  /** Copies the selected items into the target; false when interrupted. */
  async #processItems(archive: OpenedArchive, matcher: PatternMatcher, t: Target, rewrite: boolean): Promise<boolean> {
    const subset = !matcher.empty();
    const masters = new Map<string, MovedMaster>();
    const status = (letter: string, path: string) => this.options.fileStatus?.(letter, path);
    for await (const item of archiveItems(this.session, archive)) {
      if (this.#interrupted()) {
        if (!this.options.dryRun) await t.saver.checkpoint(t.queue);
        return false;
      }
      if (!matcher.match(item.path)) {
        status('x', item.path);
        if (subset && hardlinkable(item) && item.hardlinkMaster !== false && item.source === undefined) {
          masters.set(item.path, { chunks: item.chunks, chunksHealthy: item.chunksHealthy, newPath: null });
        }
        continue;
      }
      const moved = subset && hardlinkable(item) && item.source !== undefined ? masters.get(item.source) : undefined;
      if (moved !== undefined) {
        if (moved.newPath === null) {
          // The first kept slave becomes the master.
          if (moved.chunks !== undefined) item.chunks = moved.chunks;
          if (moved.chunksHealthy !== undefined) item.chunksHealthy = moved.chunksHealthy;
          moved.chunks = moved.chunksHealthy = undefined;
          moved.newPath = item.path;
          delete item.source;
        } else {
          item.source = moved.newPath;
        }
      }
      if (this.options.dryRun) {
        status('-', item.path);
        continue;
      }
      if (!(await this.#processItem(item, t, rewrite))) return false;
    }
    return true;
  }

  /** Adds one item, its content referenced again or stored again; false when interrupted. */
  async #processItem(item: Item, t: Target, rewrite: boolean): Promise<boolean> {
    const letter = fileStatus(item);
    const status = (path: string) => this.options.fileStatus?.(letter, path);
    if (item.chunks === undefined) {
      await t.items.add(item, t.stats);
      this.#progress.show(t.stats, item.path);
      status(item.path);
      return true;
    }
    status(item.path);
    if (!rewrite) {
      for (const chunk of item.chunks) this.cache.chunkIncref(chunk.id, t.stats);
    } else if (!(await this.#rewriteContent(item, t))) {
      return false;
    }
    t.stats.nfiles += 1;
    await t.items.add(item, t.stats);
    this.#progress.show(t.stats, item.path);
    return true;
  }

  /** Stores a file's content again, with part items at checkpoints; false when interrupted. */
  async #rewriteContent(item: Item, t: Target): Promise<boolean> {
    const entry = new QueueEntry(item, false);
    const content = { chunks: [] as ChunkRef[], offset: 0, partsFrom: 0, parts: 0 };
    entry.content = content;
    // New chunk boundaries make the healthy list of a repaired file meaningless.
    if (t.chunker !== null) delete item.chunksHealthy;
    t.queue.push(entry);
    const complete = await this.#rewriter.rewrite(item.chunks!, t.chunker, t.stats, async (ref) => {
      content.chunks.push(ref);
      content.offset += ref.size;
      this.#progress.show(t.stats, item.path);
      if (t.saver.checkpointDue() && !this.#interrupted()) await t.saver.checkpoint(t.queue);
      if (!this.#interrupted()) return true;
      await t.saver.checkpoint(t.queue);
      return false;
    });
    t.queue.shift();
    if (!complete) return false;
    if (content.parts > 0) {
      // The last part, then the complete item references every chunk once more (as in create).
      const last = partItem(entry);
      if (last !== null) await t.items.add(last, t.stats);
      for (const chunk of content.chunks) t.store.reference(chunk.id, t.stats, true);
      t.stats.nfilesParts += content.parts;
    }
    item.chunks = content.chunks;
    return true;
  }

  /** Saves the target, then (when replacing) releases the original and renames the target. */
  async #save(archive: OpenedArchive, t: Target, params: ChunkerParams, replace: boolean, startedAt: bigint, started: number): Promise<CreatedArchive> {
    const { session, cache, options } = this;
    const original = archive.meta;
    await t.items.flush(t.stats);
    // borg's totals include the item stream, not the metadata object being stored.
    const raw = t.stats.asRawDict();
    const end = nowMicros();
    const start = end - BigInt(Math.round((performance.now() - started) * 1000));
    const extra: Partial<ArchiveMeta> = { cmdline: original.cmdline, recreateCmdline: [...options.cmdline] };
    if (options.timestamp === undefined) {
      extra.time = original.time;
      extra.timeEnd = original.timeEnd ?? original.time;
    }
    const saved = await saveArchive(session, { storeChunk: (data) => t.store.storeData(data, t.stats) }, {
      name: t.name, items: [...t.items.chunks], cmdline: [...options.cmdline], start, end,
      ...(options.timestamp !== undefined ? { timestamp: options.timestamp } : {}),
      comment: options.comment ?? original.comment ?? '', chunkerParams: params, extra,
      totals: { size: raw.size, csize: raw.csize, nfiles: raw.nfiles, sizeParts: raw.size_parts, csizeParts: raw.csize_parts, nfilesParts: raw.nfiles_parts },
    });
    await session.commit();
    await cache.commit();
    let id = saved.id;
    let csize = saved.ref.csize;
    if (replace) {
      await decrefArchive(session, cache, archive.manifestName, new Statistics());
      const renamed = await renameArchive(session, cache, t.name, archive.manifestName);
      // The statistics follow the metadata object: the renamed one replaces the saved one.
      const entry = cache.chunks.get(renamed.newId)!;
      t.stats.update(entry.size, entry.csize, true);
      t.stats.update(-saved.ref.size, -saved.ref.csize, true);
      id = renamed.newId;
      csize = entry.csize;
    }
    const finished = nowMicros();
    return {
      name: replace ? archive.manifestName : t.name, id, start: startedAt, end: finished,
      duration: Number(finished - startedAt) / 1e6, stats: t.stats, maxArchiveSize: csize / MAX_DATA_SIZE,
    };
  }
}

/** Recreates one archive with a new Recreater (see Recreater.recreate). */
export async function recreateArchive(session: RepositorySession, cache: ChunkCache, name: string, options: RecreateOptions & { target?: string }): Promise<RecreateOutcome> {
  return new Recreater(session, cache, options).recreate(name, options.target);
}
