// Creating one item in the target, type by type, as borg's extract_item does: clear the name,
// make missing parents, create the object (regular file content from the repository, directory,
// symlink, fifo, device, or a hard link to the file extracted for its group), restore metadata.
// Directories only get their metadata later (ItemWriter.restoreDirectory), after their contents.
import { closeSync, constants, ftruncateSync, linkSync, lstatSync, mkdirSync, openSync, symlinkSync } from 'node:fs';

import { BorgError } from '../../errors.js';
import { fsPath } from '../../format/surrogate-escape.js';
import { mkfifo, mknod, writeNewFile } from '../../platform/native.js';
import { isBlk, isChr, isDir, isFifo, isHardlinkSlave, isRegular, isSymlink, type ChunkRef, type Item } from '../item.js';
import { readChunks, type ChunkSource, type StoredChunk, type WriteChunkAt } from './chunk-reader.js';
import { writeChunksAt } from './positional-writer.js';
import { ItemWarning, isSystemError } from './errors.js';
import { FileWriter } from './file-writer.js';
import type { HardlinkTracker } from './hardlinks.js';
import type { ChunkPrefetcher } from './prefetch.js';
import { ownerIds, restoreAttrs, type RestoreOptions } from './restore-attrs.js';
import type { ExtractTarget } from './safe-path.js';

const S_IFMT = 0o170000;
const NEW_FILE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const OPEN_DIR = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
/** Files up to this size can be written by one background job (startFile). */
const BACKGROUND_FILE_MAX = 4 << 20;

export interface ContentOptions {
  chunks: ChunkSource;
  /** Chunks fetched ahead for the items to come; lists it does not know are read directly. */
  prefetch?: ChunkPrefetcher | undefined;
  sparse: boolean;
  signal?: AbortSignal | undefined;
  /** Called with each chunk's plaintext once it is written (progress, --stdout). */
  onData?: ((bytes: number) => void | Promise<void>) | undefined;
}

/** The content an item has, directly or (a slave whose master was left out) through its group. */
export interface Content {
  chunks: ChunkRef[];
  /** The stored size, to check against what the chunks really hold. */
  size: number | undefined;
  damaged: boolean;
}

export function contentOf(item: Item): Content | null {
  if (item.chunks === undefined) return null;
  return { chunks: item.chunks, size: item.size, damaged: item.chunksHealthy !== undefined };
}

/**
 * Reads `content` and hands every chunk to `sink`; then checks the stored size and damage
 * (borg's "Size inconsistency detected" and "damaged (all-zero) chunks" warnings).
 */
export async function pumpContent(content: Content, options: ContentOptions, sink: (data: Buffer) => Promise<void> | void): Promise<number> {
  let size = 0;
  const chunks = options.prefetch?.take(content.chunks) ?? readChunks(options.chunks, content.chunks.map((c) => c.id));
  for await (const data of chunks) {
    options.signal?.throwIfAborted();
    await sink(data);
    size += data.length;
    await options.onData?.(data.length);
  }
  return size;
}

export function checkContent(content: Content, actualSize: number): void {
  if (content.size !== undefined && content.size !== actualSize) {
    throw new ItemWarning(`Size inconsistency detected: size ${content.size}, chunks size ${actualSize}`);
  }
  if (content.damaged) throw new ItemWarning('File has damaged (all-zero) chunks. Try running borg check --repair.');
}

export class ItemWriter {
  constructor(
    private readonly target: ExtractTarget,
    private readonly hardlinks: HardlinkTracker,
    private readonly restore: RestoreOptions,
    private readonly content: ContentOptions,
  ) {}

  /** Extracts a non-directory item at `relative` (below the target), or creates a directory. */
  async write(item: Item, relative: string): Promise<void> {
    if (relative === '' && !isDir(item)) throw new ItemWarning('Refusing to replace the extraction target itself');
    if (isDir(item)) return this.#directory(relative);
    if (isSymlink(item)) return this.#symlink(item, relative);
    if (!isRegular(item) && !isFifo(item) && !isChr(item) && !isBlk(item)) {
      throw new ItemWarning(`Unknown archive item type ${(item.mode & S_IFMT).toString(8)}`);
    }
    this.#prepare(relative);
    let content = contentOf(item);
    if (isHardlinkSlave(item)) {
      const plan = this.hardlinks.plan(item);
      if (plan.kind === 'missing') {
        throw new ItemWarning(`Refusing to create a hard link to '${item.source}': it is not a file extracted from this archive`);
      }
      if (plan.kind === 'link') return this.#link(plan.target, relative);
      content = plan.chunks !== undefined ? { chunks: plan.chunks, size: plan.size, damaged: false } : null;
    }
    try {
      if (isRegular(item)) await this.#regular(item, relative, content ?? { chunks: [], size: undefined, damaged: false });
      else this.#special(item, relative);
    } catch (error) {
      this.hardlinks.failed(item);
      throw error;
    }
  }

  /**
   * The bytes of content of `item` if it can be written by one background job (startFile): a
   * regular file (not a hard link slave) at most BACKGROUND_FILE_MAX big, with no metadata beyond
   * owner, mode and times to restore, and no holes to make; otherwise null.
   */
  backgroundBytes(item: Item, relative: string): number | null {
    if (relative === '') return null;
    // The job clears the path itself: a directory the target knows of is cleared here (clear()).
    if (this.target.hasDirectory(relative)) return null;
    return this.#backgroundContentBytes(item);
  }

  /**
   * Whether the chunks of `item` will most likely be written by whoever opens them: a small file
   * handed over whole (startFile), or a bigger one written chunk by chunk in place (#regular). They
   * are then best fetched raw.
   */
  fetchesRaw(item: Item): boolean {
    if ((item.chunks?.length ?? 0) === 0) return false;
    const { writeFile, writeChunkAt } = this.content.chunks;
    if (writeFile !== undefined && this.#backgroundContentBytes(item) !== null) return true;
    return writeChunkAt !== undefined && isRegular(item) && !isHardlinkSlave(item);
  }

  /** What backgroundBytes says of the item itself, whatever its path. */
  #backgroundContentBytes(item: Item): number | null {
    if (!isRegular(item) || isHardlinkSlave(item) || this.content.sparse) return null;
    const { noXattrs, noAcls, noFlags } = this.restore;
    if (!noXattrs && item.xattrs !== undefined && item.xattrs.size > 0) return null;
    if (!noAcls && (item.aclAccess !== undefined || item.aclDefault !== undefined)) return null;
    if (!noFlags && item.bsdflags !== undefined) return null;
    let bytes = 0;
    for (const chunk of item.chunks ?? []) bytes += chunk.size;
    return bytes <= BACKGROUND_FILE_MAX ? bytes : null;
  }

  /**
   * Extracts an item accepted by backgroundBytes: its chunks are read now, the file is created,
   * written and given its metadata by a thread-pool job, or, when its chunks were fetched raw, by
   * the chunk source's worker that opens them. Resolves (once the job is queued) to its completion,
   * which records the file for its hard link group and checks the size (ItemWarning) once it is written.
   */
  async startFile(item: Item, relative: string): Promise<{ written: Promise<void> }> {
    // What is in the way is removed by the job (no directory the target knows of: backgroundBytes).
    this.target.ensureParents(relative, true);
    const content = contentOf(item) ?? { chunks: [], size: undefined, damaged: false };
    const path = this.target.absolute(relative);
    const { uid, gid } = ownerIds(item, this.restore.numericIds);
    const writeFile = this.content.chunks.writeFile;
    const raw = writeFile !== undefined ? this.content.prefetch?.takeRaw(content.chunks) : null;
    const buffers: Buffer[] = [];
    const stored: StoredChunk[] = [];
    let size = 0;
    try {
      if (raw) {
        for await (const chunk of raw) {
          this.content.signal?.throwIfAborted();
          stored.push(chunk);
        }
      } else {
        size = await pumpContent(content, this.content, (data) => {
          buffers.push(data);
        });
      }
    } catch (error) {
      this.#emptyAfterFailure(item, relative, path);
      throw error;
    }
    const mode = item.mode & 0o7777;
    const atime = item.atime ?? item.mtime;
    let written: Promise<unknown>;
    if (raw) {
      const file = { path: typeof path === 'string' ? Buffer.from(path) : path, mode, uid, gid, atimeNs: atime, mtimeNs: item.mtime };
      written = writeFile!(file, content.chunks.map((c) => c.id), stored).then((bytes) => {
        size = bytes;
        this.content.onData?.(bytes);
      }, (error: unknown) => {
        // A chunk that could not be opened: as when it fails before the file is opened.
        if (error instanceof BorgError) this.#emptyAfterFailure(item, relative, path);
        throw error;
      });
    } else {
      written = writeNewFile(path, buffers, mode, uid, gid, atime, item.mtime);
    }
    // Wrapped: a promise returned from an async function would be waited for.
    return {
      written: written.then(
        () => {
          this.hardlinks.extracted(item, relative);
          checkContent(content, size);
        },
        (error: unknown) => {
          this.hardlinks.failed(item);
          throw error;
        },
      ),
    };
  }

  /**
   * After the content of a file could not be read: it exists (empty), as when it is opened before
   * its chunks are read, and a failure to create it is what gets reported.
   */
  #emptyAfterFailure(item: Item, relative: string, path: string | Buffer): void {
    this.hardlinks.failed(item);
    this.target.clear(relative);
    closeSync(openSync(path, NEW_FILE, 0o600));
  }

  /** Applies a directory's metadata once its contents are extracted. */
  restoreDirectory(item: Item, relative: string): void {
    this.target.ensureParents(relative, false);
    const path = this.target.absolute(relative);
    // The target itself (an item ".") may be reached through a symlink the user chose.
    const fd = openSync(path, relative === '' ? OPEN_DIR & ~constants.O_NOFOLLOW : OPEN_DIR);
    try {
      restoreAttrs({ path, fd }, item, this.restore);
    } finally {
      closeSync(fd);
    }
  }

  /** Parents first: clearing through an unchecked parent could delete a file outside the target. */
  #prepare(relative: string): void {
    this.target.ensureParents(relative, true);
    this.target.clear(relative);
  }

  #directory(relative: string): void {
    if (relative === '') return; // the target itself: only its metadata is restored, later
    this.#prepare(relative);
    const path = this.target.absolute(relative);
    try {
      mkdirSync(path, 0o777);
    } catch (error) {
      // A directory that was not empty stays (borg's rmdir failed too); anything else is an error.
      if (!isSystemError(error) || error.code !== 'EEXIST' || !lstatSync(path).isDirectory()) throw error;
    }
    this.target.addDirectory(relative);
  }

  #symlink(item: Item, relative: string): void {
    if (item.source === undefined) throw new ItemWarning('Symbolic link without a target');
    if (item.source.includes('\0')) throw new ItemWarning('Symbolic link target contains a NUL byte');
    this.#prepare(relative);
    const path = this.target.absolute(relative);
    symlinkSync(fsPath(item.source), path);
    restoreAttrs({ path }, item, this.restore);
  }

  #link(existing: string, relative: string): void {
    // The group's file was made by this extraction; its parents are checked again because later
    // items may have replaced one of them.
    this.target.ensureParents(existing, false);
    linkSync(this.target.absolute(existing), this.target.absolute(relative));
  }

  async #regular(item: Item, relative: string, content: Content): Promise<void> {
    const path = this.target.absolute(relative);
    // 0600 while the content is written; the item's mode follows with the other metadata.
    const fd = openSync(path, NEW_FILE, 0o600);
    const writer = new FileWriter(fd, this.content.sparse);
    let size: number;
    try {
      const writeChunkAt = this.content.chunks.writeChunkAt;
      const raw = writeChunkAt !== undefined ? this.content.prefetch?.takeRaw(content.chunks) : null;
      if (raw) {
        size = await this.#writeInPlace(fd, writer, content, raw, writeChunkAt!);
      } else {
        size = await pumpContent(content, this.content, (data) => writer.write(data));
      }
      await writer.finish();
      // Chunks written in place may have reached past the end (a chunk smaller than recorded).
      if (raw) ftruncateSync(fd, size);
      restoreAttrs({ path, fd }, item, this.restore);
    } catch (error) {
      await writer.abandon();
      throw error;
    } finally {
      closeSync(fd);
    }
    this.hardlinks.extracted(item, relative);
    checkContent(content, size);
  }

  /**
   * Has the workers write the chunks at their offsets; from a chunk whose size is not the one the
   * item records, writes on in order with `writer`. Returns the bytes of content.
   */
  async #writeInPlace(fd: number, writer: FileWriter, content: Content, envelopes: AsyncIterable<StoredChunk>, writeChunkAt: WriteChunkAt): Promise<number> {
    const { onData, signal, sparse } = this.content;
    const { written, rest } = await writeChunksAt(fd, content.chunks, envelopes, writeChunkAt, { sparse, onData, signal });
    writer.skip(written);
    if (rest === null) return written;
    let size = written;
    const sink = async (data: Buffer) => {
      await writer.write(data);
      size += data.length;
      await onData?.(data.length);
    };
    await sink(rest.plaintext);
    const after = content.chunks.slice(rest.index + 1).map((c) => c.id);
    for await (const data of readChunks(this.content.chunks, after)) {
      signal?.throwIfAborted();
      await sink(data);
    }
    return size;
  }

  #special(item: Item, relative: string): void {
    const path = this.target.absolute(relative);
    if (isFifo(item)) mkfifo(path, 0o600);
    else mknod(path, (item.mode & S_IFMT) | 0o600, item.rdev ?? 0);
    restoreAttrs({ path }, item, this.restore);
    this.hardlinks.extracted(item, relative);
  }
}
