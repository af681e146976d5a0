// `import-tar`: a new archive from a tar stream, with the items borg's import-tar makes (its
// TarfileObjectProcessors): every member becomes an item with the member's path (made relative),
// permission bits plus file type, owner ids and names, and mtime (nanoseconds from a pax mtime);
// hard links become hard link slaves whose source is the link target as written in the tar;
// regular files' contents are chunked with the given chunker params and the key's seed and stored
// deduplicated through the cache. Nothing else of the tar (atime, ctime, xattrs) is kept, as in
// borg 1.2. Members of other types are skipped with a warning.
//
// Checkpoints work as in create: while a file is being stored, a due checkpoint writes a part
// item for its chunks so far and saves NAME.checkpoint; the final archive replaces it.
import type { ChunkCache } from '../cache/cache-types.js';
import type { ChunkerParams } from '../chunker/index.js';
import type { ProgressSink, WarningSink } from '../progress.js';
import { checkArchiveName } from './archive-name.js';
import { ArchiveSaver, partItem } from './create/checkpoints.js';
import { ChunkProcessor, ivBlocksBound } from './create/chunk-processor.js';
import type { CreatedArchive } from './create/create-archive.js';
import { CreateProgress } from './create/create-progress.js';
import { CreateStats } from './create/create-stats.js';
import { safePath } from './create/file-processor.js';
import { ItemBuffer } from './create/item-buffer.js';
import { ItemQueue, QueueEntry } from './create/item-queue.js';
import { safeNs } from './create/metadata.js';
import { ObjectStore } from './create/object-store.js';
import { ArchiveAlreadyExists } from './errors.js';
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG, type Item } from './item.js';
import type { RepositorySession } from './repository-session.js';
import { isRegularType, TarReader, type TarEntry } from './tar/tar-reader.js';
import { TarType } from './tar/tar-header.js';

export interface ImportTarOptions {
  /** Archive name (placeholders already replaced). */
  name: string;
  cmdline: readonly string[];
  comment?: string;
  /** --timestamp: stored start time in microseconds since the epoch. */
  timestamp?: bigint;
  chunkerParams: ChunkerParams;
  /** -C spec. */
  compression: string;
  /** Seconds between checkpoints; 0 disables them. */
  checkpointInterval: number;
  /** Skip zero blocks and damaged headers (concatenated tar files). */
  ignoreZeros?: boolean;
  /** Read the source to its end after the archive's end (a filter process must finish writing). */
  drain?: boolean;
  /** `--list` lines: status letter and member name. */
  fileStatus?: (status: string, path: string) => void;
  warnings?: WarningSink;
  progress?: ProgressSink;
  /** Aborting writes a checkpoint of what was stored and ends the import. */
  signal?: AbortSignal;
}

export interface ImportTarResult {
  /** Null when interrupted (a checkpoint archive remains). */
  archive: CreatedArchive | null;
  interrupted: boolean;
}

/** glibc's makedev(). */
export function makeDevice(major: number, minor: number): number {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return Number(((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn));
}

/** The item of a member: path, mode with its file type, owners, mtime (borg's create_helper). */
function baseItem(entry: TarEntry, type: number): Item {
  const mtime = typeof entry.mtime === 'bigint' ? entry.mtime * 1_000_000_000n : BigInt(Math.trunc(entry.mtime * 1e9));
  return {
    path: safePath(entry.name), mode: entry.mode | type, uid: entry.uid, gid: entry.gid,
    user: entry.uname || null, group: entry.gname || null, mtime: safeNs(mtime),
  };
}

/** The item type and --list status of a member, or null for members borg does not import. */
function kindOf(entry: TarEntry): { type: number; status: string } | null {
  if (isRegularType(entry.type)) return { type: S_IFREG, status: 'A' };
  switch (entry.type) {
    case TarType.DIR: return { type: S_IFDIR, status: 'd' };
    case TarType.SYM: return { type: S_IFLNK, status: 's' };
    case TarType.LNK: return { type: S_IFREG, status: 'h' };
    case TarType.BLK: return { type: S_IFBLK, status: 'b' };
    case TarType.CHR: return { type: S_IFCHR, status: 'c' };
    case TarType.FIFO: return { type: S_IFIFO, status: 'f' };
    default: return null;
  }
}

/** Python's repr() of the one-byte type flag, as borg prints it. */
function typeRepr(type: number): string {
  if (type === 0x27) return 'b"\'"';
  if (type === 0x5c) return "b'\\\\'";
  const c = type >= 0x20 && type < 0x7f ? String.fromCharCode(type) : `\\x${type.toString(16).padStart(2, '0')}`;
  return `b'${c}'`;
}

/**
 * Imports the tar stream `source` as archive `options.name` and commits it with `cache`. The
 * session must hold the exclusive lock and `cache` be in sync with it.
 */
export async function importTar(session: RepositorySession, cache: ChunkCache, source: AsyncIterable<Uint8Array>, options: ImportTarOptions): Promise<ImportTarResult> {
  checkArchiveName(options.name);
  if (session.manifest.archives.has(options.name)) throw new ArchiveAlreadyExists(options.name);
  const stats = new CreateStats();
  const store = new ObjectStore(session, cache, options.compression);
  const items = new ItemBuffer((data, s) => store.storeData(data, s), session.key.chunkSeed);
  const saver = new ArchiveSaver(session, cache, store, items, stats, {
    name: options.name, cmdline: options.cmdline, comment: options.comment ?? '', timestamp: options.timestamp,
    chunkerParams: options.chunkerParams, checkpointInterval: options.checkpointInterval,
  });
  const progress = new CreateProgress(options.progress);
  const processor = new ChunkProcessor(
    { keyMode: session.key.mode, material: session.key.material, compression: options.compression, chunkerParams: options.chunkerParams },
    (id) => cache.chunks.has(id),
  );
  const reader = new TarReader(source, { ignoreZeros: options.ignoreZeros ?? false });
  const status = (letter: string, path: string) => options.fileStatus?.(letter, path);
  // The file being stored, for part items when a checkpoint comes while it is read.
  const queue = new ItemQueue();
  const interrupted = () => options.signal?.aborted ?? false;

  /** Chunks and stores the current member's content into `entry` (borg's process_file_chunks). */
  const storeContent = async (entry: QueueEntry, path: string): Promise<boolean> => {
    const content = entry.content!;
    const params = options.chunkerParams;
    const held = params.algorithm === 'fixed' ? Math.max(params.blockSize, params.headerSize) : 2 ** params.maxExp;
    /** Stores the chunks `piece` completes; false when interrupted (after a checkpoint). */
    const feed = async (piece: Buffer | null): Promise<boolean> => {
      await session.prepareWrite(ivBlocksBound((piece?.length ?? 0) + held, params, options.compression));
      for (const chunk of processor.processPiece(piece, session.ivSupply())) {
        const ref = await store.storeSealed(chunk, stats.files);
        if (ref === null) throw new Error('A chunk known to the index while it was sealed disappeared');
        content.chunks.push(ref);
        content.offset += ref.size;
        progress.show(stats.files, path);
        if (saver.checkpointDue() && !interrupted()) await saver.checkpoint(queue);
      }
      if (!interrupted()) return true;
      // The checkpoint holds this file's chunks so far as a part file; the rest is not read.
      await saver.checkpoint(queue);
      return false;
    };
    for await (const piece of reader.content()) if (!(await feed(piece))) return false;
    return feed(null);
  };

  for (let entry = await reader.next(); entry !== null; entry = await reader.next()) {
    if (interrupted()) {
      // A checkpoint of the items so far; the rest of the tar is not read.
      await saver.checkpoint(queue);
      return { archive: null, interrupted: true };
    }
    const kind = kindOf(entry);
    if (kind === null) {
      options.warnings?.warn({ code: 'BorgWarning', message: `${entry.name}: Unsupported tarinfo type ${typeRepr(entry.type)}` });
      status('E', entry.name);
      continue;
    }
    const item = baseItem(entry, kind.type);
    if (entry.type === TarType.LNK || entry.type === TarType.SYM) item.source = entry.linkname;
    if (entry.type === TarType.BLK || entry.type === TarType.CHR) item.rdev = makeDevice(entry.devmajor, entry.devminor);
    if (kind.status !== 'A') {
      await items.add(item, stats.items);
      progress.show(stats.files, item.path);
      status(kind.status, entry.name);
      continue;
    }
    status('A', entry.name);
    const queued = new QueueEntry(item, false);
    queued.content = { chunks: [], offset: 0, partsFrom: 0, parts: 0 };
    queue.push(queued);
    const complete = await storeContent(queued, item.path);
    queue.shift();
    if (!complete) return { archive: null, interrupted: true };
    const content = queued.content;
    if (content.parts > 0) {
      // The last part, then the complete item references every chunk once more (as in create).
      const last = partItem(queued);
      if (last !== null) await items.add(last, stats.items);
      for (const chunk of content.chunks) store.reference(chunk.id, stats.files, true);
      stats.files.nfilesParts += content.parts;
    }
    item.chunks = content.chunks;
    item.size = content.offset;
    stats.files.nfiles += 1;
    await items.add(item, stats.items);
    progress.show(stats.files, item.path);
    // borg 1.2 counts imported files twice (once per statistics object); its archives show that.
    stats.items.nfiles += 1;
  }
  if (options.drain) await reader.drain();
  progress.finish();
  const { result, stats: totals } = await saver.final();
  return {
    archive: {
      name: options.name, id: result.saved.id, start: result.start, end: result.end, duration: result.duration, stats: totals,
      maxArchiveSize: result.maxArchiveSize,
    },
    interrupted: false,
  };
}
